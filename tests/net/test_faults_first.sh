#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A first `up` (Mode = tc, Mode = xdp, on two Devices) killed at each of its steps: then
# `down` leaves nothing, or `up` takes over and works (faults_lib.sh says how it is checked).
. "$(dirname "$0")/faults_lib.sh"

faults_setup test_faults_first
each_step_killed first_tc first_xdp
lib_finish
