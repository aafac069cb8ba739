// SPDX-License-Identifier: GPL-2.0
#include "backoff.h"

__u64 backoff_ms(unsigned int failures)
{
	__u64 ms = BACKOFF_FIRST_MS;

	while (failures-- > 1 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}
