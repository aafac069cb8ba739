// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "xdp_drivers.h"

enum xdp_verdict {
	XDP_VERDICT_NATIVE,	/* checked: the stack gets CHECKSUM_NONE or UNNECESSARY after XDP */
	XDP_VERDICT_SLOWER,	/* native XDP costs more than tc */
	XDP_VERDICT_STALE_CSUM,	/* CHECKSUM_COMPLETE of the frame as received, after XDP_PASS */
	XDP_VERDICT_UNREAD,	/* CHECKSUM_COMPLETE, and no native XDP yet to read */
};

/*
 * Each read in Debian's 6.1 and 6.12 sources (doc/kernels.md cites the functions); virtio_net
 * and veth are also tested (tests/net/test_lan_driver.sh, KERNEL_LAN=virtio). Names are what
 * ethtool -i reports: the driver's own name, or its PCI driver's where it names none.
 */
static const struct {
	const char *name;
	enum xdp_verdict verdict;
} xdp_drivers[] = {
	{ "virtio_net", XDP_VERDICT_NATIVE },
	{ "igb", XDP_VERDICT_NATIVE },
	{ "igc", XDP_VERDICT_NATIVE },
	{ "ixgbe", XDP_VERDICT_NATIVE },
	{ "i40e", XDP_VERDICT_NATIVE },
	{ "ice", XDP_VERDICT_NATIVE },
	{ "mlx5_core", XDP_VERDICT_NATIVE },
	{ "veth", XDP_VERDICT_SLOWER },
	{ "mlx4_en", XDP_VERDICT_STALE_CSUM },
	{ "gve", XDP_VERDICT_STALE_CSUM },
	{ "ionic", XDP_VERDICT_STALE_CSUM },
	{ "fsl_enetc", XDP_VERDICT_STALE_CSUM },
	{ "fsl_enetc_vf", XDP_VERDICT_STALE_CSUM },
	{ "nfp", XDP_VERDICT_STALE_CSUM },
	{ "nfp_netvf", XDP_VERDICT_STALE_CSUM },
	/* The Raspberry Pi 4's: should a kernel give it native XDP, tc until that is read. */
	{ "bcmgenet", XDP_VERDICT_UNREAD },
};

bool xdp_driver_wanted(const char *driver, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(xdp_drivers) / sizeof(xdp_drivers[0]); i++) {
		if (strcmp(driver, xdp_drivers[i].name))
			continue;
		switch (xdp_drivers[i].verdict) {
		case XDP_VERDICT_NATIVE:
			snprintf(why, len, "driver %s", driver);
			return true;
		case XDP_VERDICT_SLOWER:
			/* veth_xdp_rcv_skb(): an skb becomes an xdp_buff and again an skb. */
			snprintf(why, len, "%s: its native XDP copies every packet and is slower than tc",
				 driver);
			return false;
		case XDP_VERDICT_STALE_CSUM:
			/* tc's bpf_l4_csum_replace() corrects skb->csum; XDP has no skb to correct. */
			snprintf(why, len, "%s hands the stack a receive checksum from before XDP rewrote the frame",
				 driver);
			return false;
		case XDP_VERDICT_UNREAD:
			snprintf(why, len, "%s: its receive checksum is CHECKSUM_COMPLETE; its XDP is not checked",
				 driver);
			return false;
		}
	}
	snprintf(why, len, "driver %s, not one hairpin has checked", driver);
	return true;
}
