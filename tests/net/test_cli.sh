#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The command line: each command's usage comes from the table its parser reads
# (loader/options.h), so every option `hairpin COMMAND --help' lists is taken, in each of its
# spellings (-c N, --count N, --count=N), and nothing the usage does not list is; `hairpin help
# COMMAND' says the same; the bash completion offers every command and option the usage lists;
# operands, unknown options and commands are usage errors (exit 2). Then, against a running
# instance: -j prints what status --json prints, -p the same indented, and monitor --count=1
# ends after one line.
. "$(dirname "$0")/loader_lib.sh"

lib_require_hairpin test_cli

# A value each option's METAVAR takes, for trying the option.
declare -A sample=([N]=1 [KIB]=64 [DIR]=/nonexistent/pins)

# options_of TEXT: "NAME METAVAR SHORT" for each line of TEXT's option list.
options_of() {
	sed -En 's/^ +(-(.), )?--([a-z-]+)( ([A-Z][A-Z|]*))?  .*/\3;\5;\2/p' <<<"$1" |
		awk -F';' '$1 != "help" { print $1, ($2 == "" ? "-" : $2), ($3 == "" ? "-" : $3) }'
}

commands=$("$HAIRPIN" help | sed -n '/^Commands:/,/^$/{ s/^  \([a-z-]*\).*/\1/p }')
check "hairpin help lists the commands" "it lists: $(paste -sd " " <<<"$commands")" \
	sh -c "echo '$commands' | grep -qx up && echo '$commands' | grep -qx monitor &&
	       echo '$commands' | grep -qx version && [ $(wc -w <<<"$commands") -ge 10 ]"

for cmd in $commands; do
	help=$("$HAIRPIN" "$cmd" --help 2>&1)
	rc=$?
	check "$cmd --help exits 0 and prints its usage" "exit $rc: $help" \
		sh -c "[ $rc = 0 ] && printf '%s\n' \"\$1\" | head -n 1 | grep -q '^Usage: hairpin .* $cmd\\b'" \
		sh "$help"
	check "$cmd -h and hairpin help $cmd print the same" "they differ" \
		sh -c "[ \"\$1\" = \"\$($HAIRPIN $cmd -h)\" ] && [ \"\$1\" = \"\$($HAIRPIN help $cmd)\" ]" \
		sh "$help"
	synopsis=$(head -n 1 <<<"$help" | sed "s/.* $cmd\\b//")
	opts=$(options_of "$help")
	while read -r name metavar short; do
		[ -n "$name" ] || continue
		value=
		if [ "$metavar" != - ]; then
			value=${sample[$metavar]:-}
			[ -n "$value" ] || { fail "$cmd --$name" "no sample value for $metavar"; continue; }
		fi
		# A taken option goes by; the parser stops at the next one, which it does not know.
		spellings=("--$name${value:+ $value}")
		[ -n "$value" ] && spellings+=("--$name=$value")
		[ "$short" != - ] && spellings+=("-$short${value:+ $value}")
		for s in "${spellings[@]}"; do
			# shellcheck disable=SC2086 # the spelling's words
			expect_exit "$cmd $s is taken" 2 "unknown option: \`--no-such-option'" \
				"$HAIRPIN" "$cmd" $s --no-such-option
		done
		check "$cmd --$name is in the usage line" "the usage line is: $synopsis" \
			grep -q -- "\[--$name${value:+ $metavar}\]" <<<"$synopsis"
	done <<<"$opts"
	# And the other way: each option of the usage line is in the list (so, taken above).
	for name in $(grep -o -- '--[a-z-]*' <<<"$synopsis" | sed 's/^--//'); do
		check "$cmd: --$name of the usage line is in its option list" "it is not" \
			grep -qx "$name .*" <<<"$opts"
	done
	expect_exit "$cmd --no-such-option is a usage error" 2 \
		"^hairpin: $cmd: unknown option: \`--no-such-option' \(usage: hairpin $cmd" \
		"$HAIRPIN" "$cmd" --no-such-option
done

# hairpin's own options, before the command.
global=$("$HAIRPIN" --help)
while read -r name metavar short; do
	[ -n "$name" ] || continue
	value=${sample[$metavar]:-}
	[ "$metavar" = - ] || [ -n "$value" ] || { fail "--$name" "no sample value for $metavar"; continue; }
	expect_exit "hairpin --$name${value:+ $value} is taken" 0 "^hairpin " \
		"$HAIRPIN" "--$name" ${value:+"$value"} version
	[ "$short" = - ] || expect_exit "hairpin -$short is taken" 0 "^hairpin " \
		"$HAIRPIN" "-$short" ${value:+"$value"} version
done <<<"$(options_of "$global")"
check "hairpin -h and hairpin help print the same" "they differ" \
	sh -c "[ \"\$($HAIRPIN -h)\" = \"\$($HAIRPIN help)\" ]"

expect_exit "no command: the usage, exit 2" 2 "^Usage: hairpin" "$HAIRPIN"
expect_exit "an unknown command, exit 2" 2 "unknown command: \`nosuch'" "$HAIRPIN" nosuch
expect_exit "help of an unknown command, exit 2" 2 "help: unknown command: \`nosuch'" \
	"$HAIRPIN" help nosuch
expect_exit "an unknown option of hairpin's own, exit 2" 2 "unknown option: \`--nosuch'" \
	"$HAIRPIN" --nosuch status
expect_exit "an operand too many, exit 2" 2 "up: too many arguments: \`two'" \
	"$HAIRPIN" up one two
expect_exit "status takes no operand" 2 "status: too many arguments: \`json'" \
	"$HAIRPIN" status json
expect_exit "a missing operand, exit 2" 2 "set-public-ip: missing ADDRESS" \
	"$HAIRPIN" set-public-ip
expect_exit "a missing value, exit 2" 2 "monitor: --count needs N" "$HAIRPIN" monitor --count
expect_exit "a value that is no number, exit 2" 2 "monitor: --count is not a positive number: \`x'" \
	"$HAIRPIN" monitor --count=x
expect_exit "a value for a flag, exit 2" 2 "status: --json takes no value: \`--json=yes'" \
	"$HAIRPIN" status --json=yes
expect_exit "--version" 0 "^hairpin [0-9]" "$HAIRPIN" --version
check "version says what --version says" "they differ" \
	sh -c "[ \"\$($HAIRPIN version)\" = \"\$($HAIRPIN --version)\" ]"

# The bash completion offers what the usage lists.
completion=$REPO_DIR/completion/hairpin
if [ -f /usr/share/bash-completion/bash_completion ]; then
	# complete WORD...: what the completion offers for the last WORD.
	complete() {
		bash -c '. /usr/share/bash-completion/bash_completion && . "$0" &&
			 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
			 COMP_POINT=${#COMP_LINE}; _hairpin && printf "%s\n" "${COMPREPLY[@]}"' \
			"$completion" "$@"
	}
	offered=$(complete hairpin '')
	for cmd in $commands; do
		check "completion offers the command $cmd" "it offers: $(paste -sd " " <<<"$offered")" \
			grep -qx -- "$cmd" <<<"$offered"
		offered_opts=$(complete hairpin "$cmd" -)
		while read -r name metavar short; do
			[ -n "$name" ] || continue
			check "completion offers $cmd --$name" "it offers: $(paste -sd " " <<<"$offered_opts")" \
				grep -qx -- "--$name" <<<"$offered_opts"
		done <<<"$(options_of "$("$HAIRPIN" "$cmd" --help)")"
	done
	for word in $offered; do
		check "completion's command $word is one of hairpin help's" "it is not" \
			grep -qx -- "$word" <<<"$commands"
	done
	offered_opts=$(complete hairpin -)
	while read -r name metavar short; do
		[ -n "$name" ] || continue
		check "completion offers hairpin's own --$name" "it offers: $(paste -sd " " <<<"$offered_opts")" \
			grep -qx -- "--$name" <<<"$offered_opts"
	done <<<"$(options_of "$global")"
else
	fail completion "no /usr/share/bash-completion/bash_completion (scripts/install-deps)"
fi

# ---- against a running instance ------------------------------------------------------------
loader_require test_cli
gw_create 1 || exit 1
conf=$TEST_DIR/hairpin.conf
gw_config "$conf" lan0 tc
echo_start || exit 1
check_cmd "up" hairpin up "$conf" || lib_finish

compact=$(hairpin status --json)
check "status --json is one object" "it is not" jq -e 'type == "object"' <<<"$compact"
check "-j status prints what status --json prints" "it does not" \
	sh -c "[ \"\$(ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR -j status)\" = \"\$1\" ]" sh "$compact"
check "--json status likewise" "it does not" \
	sh -c "[ \"\$(ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR --json status)\" = \"\$1\" ]" sh "$compact"
pretty=$(ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" -p status)
check "-p status is the same JSON" "it is not" \
	test "$(jq -cS . <<<"$pretty" 2>&1)" = "$(jq -cS . <<<"$compact")"
check "-p status is indented by four spaces a level" "it is: $(head -n 4 <<<"$pretty")" \
	sh -c "printf '%s\n' \"\$1\" | head -n 2 | tail -n 1 | grep -q '^    \"version\": \"' &&
	       [ \$(printf '%s\n' \"\$1\" | wc -l) -gt 20 ]" sh "$pretty"
check "-p keeps an empty list as []" "it does not" grep -q '"flows": \[\]' <<<"$pretty"
check "-p status --json, the same" "it differs" \
	sh -c "[ \"\$(ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR -p status --json)\" = \"\$1\" ]" sh "$pretty"
check "status without -j is text" "it is JSON" \
	sh -c "ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR status | grep -q '^public address: '"

# monitor --count=1: one line for one translation, then it ends by itself.
out=$TEST_DIR/monitor.out
ip netns exec "$NS_PI" timeout 20 "$HAIRPIN" --pin-dir "$PIN_DIR" monitor --count=1 >"$out" 2>&1 &
mon=$!
LIB_PIDS+=("$mon")
for _ in $(seq 50); do grep -q "monitoring the instance" "$out" && break; sleep 0.1; done
udp_echo 40001
wait "$mon"
rc=$?
check "monitor --count=1 ends by itself after one translation" "exit $rc: $(cat "$out")" \
	sh -c "[ $rc = 0 ] && [ \$(grep -vc '^hairpin: ' '$out') = 1 ]"

check_cmd "down" hairpin down "$conf"
lib_finish
