// SPDX-License-Identifier: GPL-2.0
/*
 * Mode = auto's verdict on each driver of doc/kernels.md's table (loader/xdp_drivers.c): native
 * XDP where the driver hands the stack CHECKSUM_NONE or CHECKSUM_UNNECESSARY after XDP, tc on
 * veth, where it keeps the hardware's CHECKSUM_COMPLETE of the frame as received, and on the
 * Pi 4's bcmgenet (CHECKSUM_COMPLETE, no native XDP to read yet), native XDP tried on a
 * driver nobody checked; each verdict with a reason up can print on one line.
 * The drivers that can be had here (virtio_net, veth) are also tested for real:
 * tests/net/test_lan_driver.sh.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "test.h"
#include "xdp_drivers.h"

/* The buffer up keeps the reason in: its message must not be cut short. */
#define WHY_SIZE sizeof(((struct attach_choice *)0)->why)

static const struct {
	const char *driver;
	bool native;
	const char *why;	/* a part of the reason */
} cases[] = {
	{ "virtio_net", true, "driver virtio_net" },
	{ "igb", true, "driver igb" },
	{ "igc", true, "driver igc" },
	{ "ixgbe", true, "driver ixgbe" },
	{ "i40e", true, "driver i40e" },
	{ "ice", true, "driver ice" },
	{ "mlx5_core", true, "driver mlx5_core" },
	{ "veth", false, "slower than tc" },
	{ "mlx4_en", false, "receive checksum from before XDP rewrote the frame" },
	{ "gve", false, "receive checksum from before XDP" },
	{ "ionic", false, "receive checksum from before XDP" },
	{ "fsl_enetc", false, "receive checksum from before XDP" },
	{ "fsl_enetc_vf", false, "receive checksum from before XDP" },
	{ "nfp", false, "receive checksum from before XDP" },
	{ "nfp_netvf", false, "receive checksum from before XDP" },
	/* No native XDP through 6.12; tc, should it get one, until its checksum is read. */
	{ "bcmgenet", false, "CHECKSUM_COMPLETE; its XDP is not checked" },
	/* No native XDP through 6.12: the attach is refused and auto falls back to tc. */
	{ "macb", true, "not one hairpin has checked" },
	/* A prefix of a known name is another driver. */
	{ "mlx4", true, "not one hairpin has checked" },
};

TEST(xdp_drivers_verdicts)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[WHY_SIZE] = "";
		bool native = xdp_driver_wanted(cases[i].driver, why, sizeof(why));

		CHECK(native == cases[i].native, "%s: native XDP %s, want %s", cases[i].driver,
		      native ? "yes" : "no", cases[i].native ? "yes" : "no");
		CHECK_STR(why, cases[i].why, cases[i].driver);
		/* The driver is named, and nothing was cut off. */
		CHECK_STR(why, cases[i].driver, "the reason names the driver");
		CHECK(strlen(why) < sizeof(why) - 1, "%s: reason cut short: \"%s\"", cases[i].driver,
		      why);
	}
}

/* The longest name ethtool can report (ETHTOOL_GDRVINFO's 32 bytes) still gets its reason. */
TEST(xdp_drivers_long_name)
{
	const char *name = "a_driver_name_of_31_characters_";
	char why[WHY_SIZE] = "";

	CHECK(xdp_driver_wanted(name, why, sizeof(why)), "an unknown driver gets native XDP tried");
	CHECK_STR(why, name, "the reason names the driver");
}
