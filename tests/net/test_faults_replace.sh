#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# An `up` replacing a running instance killed at each of its steps: tc to xdp, xdp to tc, a
# changed configuration (public address, a forward more), Devices added and removed. Then
# `down` leaves nothing, or `up` takes over and works (faults_lib.sh says how it is checked).
. "$(dirname "$0")/faults_lib.sh"

faults_setup test_faults_replace
each_step_killed tc_to_xdp xdp_to_tc changed devices
lib_finish
