/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hairpin knows about network drivers' native XDP, for Mode = auto: which drivers it
 * attaches native XDP to, and why not elsewhere. The evidence for each driver, from its
 * sources and from the tests, is in doc/kernels.md ("Drivers").
 */
#ifndef HP_XDP_DRIVERS_H
#define HP_XDP_DRIVERS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * xdp_driver_wanted() - whether Mode = auto should attach native XDP to a device of @driver.
 * @driver: the driver's name as ethtool -i gives it ("virtio_net", "veth", "mlx4_en")
 * @why: filled with the reason either way, for up's message ("driver virtio_net")
 * @len: the size of @why
 *
 * No for a driver whose native XDP is slower than tc (veth) and for one that hands the stack
 * a receive checksum the hardware computed over the frame before the program rewrote it
 * (CHECKSUM_COMPLETE kept after XDP_PASS): the stack would find it wrong on every rewritten
 * packet. Yes for the drivers checked to be safe, and for drivers hairpin knows nothing about,
 * where the attach itself tells whether the driver has native XDP.
 */
bool xdp_driver_wanted(const char *driver, char *why, size_t len);

#endif
