#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package (debian/), built by `make deb` and installed on this machine the way a
# user installs it:
#   built: hairpin_VERSION_ARCH.deb with VERSION the VERSION file's; lintian reports no error
#   and no warning; the program is hardened by dpkg-buildflags (hardening-check: PIE, stack
#   protector, FORTIFY_SOURCE, RELRO, BIND_NOW); it holds exactly the expected files, nothing
#   under /usr/share/doc executable (the hooks of contrib/ are examples). The same for arm64,
#   cross-built (make deb ARCH=arm64), whose program runs under qemu-aarch64.
#   installed (apt-get install ./hairpin_VERSION_ARCH.deb): /usr/sbin/hairpin --version and
#   `version` print "hairpin VERSION", -v says it once; in a namespace with the Device that the
#   installed example configuration names, the installed program checks that example, brings
#   it up (status --json says VERSION) and down; the units are in /lib/systemd/system,
#   systemd-analyze verify accepts them, neither is enabled nor (where systemd runs) started.
#   purged (apt-get purge): every file it installed is gone, and no unit, no enablement state
#   and no dpkg record is left.
# It installs a package on this machine: concurrent runs wait for each other (a lock), and it
# leaves alone a hairpin that it did not install (SKIP).

# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

t=package
if [ "$(id -u)" -ne 0 ]; then
	skip "$t" "needs root (installs a package, a network namespace)"
	exit 0
fi
lib_require_tools "$t" dpkg-buildpackage dh lintian hardening-check apt-get ip jq \
	qemu-aarch64 systemd-analyze flock

version=$(cat "$REPO_DIR/VERSION")
native=$(dpkg --print-architecture)
units=$(cd "$REPO_DIR/systemd" && ls -- *.service.in | sed 's/\.in$//')
# The files of the package, whatever its architecture.
expected=$(
	{
		echo /usr/sbin/hairpin
		echo /usr/share/man/man8/hairpin.8.gz
		echo /usr/share/man/man5/hairpin.conf.5.gz
		echo /usr/share/bash-completion/completions/hairpin
		echo /usr/share/doc/hairpin/README.md.gz
		echo /usr/share/doc/hairpin/changelog.gz
		echo /usr/share/doc/hairpin/copyright
		echo /usr/share/doc/hairpin/examples/hairpin.conf
		(cd "$REPO_DIR" && find contrib -type f) | sed 's|^|/usr/share/doc/hairpin/examples/|'
		for unit in $units; do echo "/lib/systemd/system/$unit"; done
	} | sort
)
example=/usr/share/doc/hairpin/examples/hairpin.conf

# make ARGS...: the repository's make, as a command of its own (not a sub-make of make test's).
repo_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$REPO_DIR" BUILD="$TEST_DIR/build" "$@"
}

# deb_files DEB: the regular files in DEB, one absolute path a line, sorted.
deb_files() {
	dpkg-deb -c "$1" | awk '$1 ~ /^-/ { sub(/^\./, "", $6); print $6 }' | sort
}

# ---- built -----------------------------------------------------------------------------------

# built ARCH NAME MAKE-ARGS...: make deb, then what every package must be. Sets DEB.
built() {
	local arch=$1 name=$2 dir
	shift 2
	dir=$TEST_DIR/build/deb/$arch
	DEB=$dir/hairpin_${version}_$arch.deb
	check "${name}_build" "make deb failed" repo_make deb "$@" || return 1
	check "${name}_file_name" "no $DEB; got: $(cd "$dir" && ls -- *.deb | paste -sd ' ')" \
		test -f "$DEB" || return 1
	check "${name}_control" "not Package hairpin, Version $version, Architecture $arch" \
		test "$(dpkg-deb -f "$DEB" Package Version Architecture)" = \
		"$(printf 'Package: hairpin\nVersion: %s\nArchitecture: %s' "$version" "$arch")"
	check "${name}_lintian" "lintian reports errors or warnings" \
		lintian --fail-on error,warning --no-tag-display-limit "$dir/hairpin_${version}_$arch.changes"
	check "${name}_files" "not exactly the expected files; diff expected got:" \
		diff <(echo "$expected") <(deb_files "$DEB")
	check "${name}_doc_not_executable" "executable files under /usr/share/doc" \
		sh -c "! dpkg-deb -c '$DEB' | grep '^-..x.* \./usr/share/doc/'"
	rm -rf "$dir/root"
	dpkg-deb -x "$DEB" "$dir/root"
	# Control flow protection and stack clash protection are not among bookworm's flags.
	check "${name}_hardened" "the program lacks dpkg-buildflags' hardening" \
		hardening-check --nocfprotection "$dir/root/usr/sbin/hairpin"
	return 0
}

if built "$native" deb; then
	deb=$DEB
else
	lib_finish
fi
# e_machine of the ELF header, at offset 18: 183 is EM_AARCH64.
if built arm64 deb_arm64 ARCH=arm64; then
	arm64=$TEST_DIR/build/deb/arm64/root/usr/sbin/hairpin
	check deb_arm64_is_arm64 "not an aarch64 executable" \
		test "$(od -An -tu2 -j 18 -N 2 "$arm64" | tr -d ' ')" = 183
	check deb_arm64_version "qemu-aarch64 $arm64 --version did not print \"hairpin $version\"" \
		test "$(qemu-aarch64 "$arm64" --version 2>&1)" = "hairpin $version"
fi

# ---- installed -------------------------------------------------------------------------------

# What is named hairpin where the package installs, systemd keeps its state and dpkg its
# records.
named_hairpin() {
	find /etc/hairpin /usr/sbin /usr/share/doc /usr/share/man /usr/share/bash-completion \
		/lib/systemd/system /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-helper-masked /var/lib/dpkg/info \
		-name 'hairpin*' 2>/dev/null | sort
}

# One run at a time installs: another run's package is that run's to purge.
exec 9>/run/lock/hairpin-test-package.lock
if ! flock -w 200 9; then
	fail "$t" "another run of test_package held /run/lock/hairpin-test-package.lock for 200 s"
	lib_finish
fi
# A configuration of the user's in /etc/hairpin is no obstacle; a hairpin in the package's
# places (a package, make install PREFIX=/usr) is: this test would replace it, then purge it.
before=$(named_hairpin)
if grep -v '^/etc/hairpin' <<<"$before" | grep -q .; then
	skip package_installed "a hairpin that this test did not install is on this machine," \
		"and it leaves it alone: $(grep -v '^/etc/hairpin' <<<"$before" | paste -sd ' ')"
	lib_finish
fi

NS=${NS_PREFIX}pkg
INSTALLED=0
# Purged whatever happens, before lib.sh's cleanup.
package_cleanup() {
	[ "$INSTALLED" = 1 ] && dpkg --purge hairpin >/dev/null 2>&1
	lib_cleanup
}
trap package_cleanup EXIT

apt() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=120 "$@"
}

INSTALLED=1
check package_install "apt-get install $deb failed" apt install --no-install-recommends "$deb" ||
	lib_finish
check package_status "dpkg does not say hairpin $version is installed" \
	test "$(dpkg-query -W -f '${Version} ${db:Status-Status}' hairpin)" = "$version installed"
listed=$(dpkg -L hairpin | while read -r f; do [ -f "$f" ] && echo "$f"; done | sort)
check package_files "dpkg -L does not list exactly the expected files; diff expected got:" \
	diff <(echo "$expected") <(echo "$listed")

hp=/usr/sbin/hairpin
check package_version "$hp --version: $($hp --version 2>&1)" \
	test "$($hp --version 2>&1)" = "hairpin $version"
check package_version_command "$hp version: $($hp version 2>&1)" \
	test "$($hp version 2>&1)" = "hairpin $version"

# The Device the example names, with an address, alone in a namespace of this run.
device=$(sed -n 's/^Device *= *//p' "$example")
ip netns add "$NS" && LIB_NETNS+=("$NS")
if ! { ip -n "$NS" link add "$device" type veth peer name "$device-peer" &&
	ip -n "$NS" addr add 192.0.2.1/24 dev "$device" &&
	ip -n "$NS" link set "$device" up && ip -n "$NS" link set "$device-peer" up; }; then
	fail package_netns "could not set up $device in namespace $NS"
	lib_finish
fi
check package_check_example "$hp check $example failed in a namespace with $device" \
	sh -c "ip netns exec '$NS' $hp check '$example' | grep -q ': ok: 1 device, 1 forward'"
check package_verbose_version "-v does not say \"hairpin: version $version\" once" \
	test "$(ip netns exec "$NS" $hp -v check "$example" 2>&1 |
		grep -c "^hairpin: version $version\$")" = 1
if bpffs_mount; then
	pkg_hairpin() { ip netns exec "$NS" $hp --pin-dir "$PIN_DIR" "$@"; }
	check_cmd package_up_example pkg_hairpin up "$example" &&
		check package_status_json_version "status --json has no \"version\": \"$version\"" \
			sh -c "[ \"\$(ip netns exec '$NS' $hp --pin-dir '$PIN_DIR' status --json |
				jq -r .version)\" = '$version' ]"
	check_cmd package_down_example pkg_hairpin down "$example"
else
	fail package_bpffs "could not mount a bpffs for the pins"
fi

for unit in $units; do
	check "package_unit_$unit" "/lib/systemd/system/$unit is not there" \
		test -f "/lib/systemd/system/$unit"
	check "package_unit_verifies_$unit" "systemd-analyze verify refuses it" \
		systemd-analyze verify --man=no "/lib/systemd/system/$unit"
	check "package_unit_not_enabled_$unit" "enabled: $(systemctl is-enabled "$unit" 2>&1)" \
		sh -c "[ \"\$(systemctl is-enabled '$unit' 2>&1)\" = disabled ] &&
		       ! deb-systemd-helper was-enabled '$unit' &&
		       [ -z \"\$(find /etc/systemd/system -name '$unit')\" ]"
	if [ -d /run/systemd/system ]; then
		check "package_unit_not_started_$unit" "systemd started it" \
			sh -c "! systemctl --quiet is-active '$unit'"
	fi
done

# ---- purged ----------------------------------------------------------------------------------

check package_purge "apt-get purge hairpin failed" apt purge hairpin && INSTALLED=0
left=$(for f in $listed; do [ -e "$f" ] && echo "$f"; done
	diff <(echo "$before") <(named_hairpin) | sed -n 's/^> //p')
check package_purge_leaves_nothing "left behind: $(echo "$left" | paste -sd ' ')" test -z "$left"
check package_purge_forgotten "dpkg still knows hairpin: $(dpkg-query -W -f '${db:Status-Status}' hairpin 2>&1)" \
	sh -c "! dpkg-query -W -f '\${db:Status-Status}' hairpin 2>/dev/null | grep -qv not-installed"

lib_finish
