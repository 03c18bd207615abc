#!/bin/bash
# Run tlsfp's kernel tests (guest.sh) on each kernel of kernels.tsv under
# qemu, and on the running kernel, and report per kernel.
#
# Usage: tests/kernels/run.sh [LABEL...]   (default: every kernel, then the
# running one; "running" names the running kernel)
#
# For each kernel: apt-get download fetches the Debian package into
# $OUTPUT/kernels, dpkg-deb unpacks its vmlinuz and the modules the tests
# load (veth, sch_ingress, cls_bpf), and qemu-system-x86_64 boots it with
# an initramfs of busybox, the built tlsfp and test programs with their
# shared libraries, and iproute2.  qemu runs under software
# emulation (TCG), with no network device, inside a timeout.
#
# Environment: OUTPUT (build directory, default .output), KERNEL_TIMEOUT
# (seconds per guest, default 1200), QEMU_SMP (guest CPUs, default 2).
# Needs root (the running-kernel tests), qemu-system-x86, busybox-static,
# cpio and iproute2.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${OUTPUT:-$top/.output}
case $out in
/*) ;;
*) out=$top/$out ;;
esac
cache=$out/kernels
timeout_seconds=${KERNEL_TIMEOUT:-1200}
smp=${QEMU_SMP:-2}

ok() {
	echo "ok - $1"
}

not_ok() {
	echo "not ok - $1: $2"
}

# Programs and data that guest.sh uses, in the layout it expects.
stage_tests() {
	local stage=$1 t=$1/t f
	rm -rf "$stage"
	mkdir -p "$t/fixtures" "$t/captures"
	cp "$out/tlsfp" "$out/tests/test_fixtures" "$out/tests/test_md5_kernel" \
		"$out/tests/send_pcap" "$here/guest.sh" "$t/" || return 1
	cp -r "$top/tests/fixtures/fixtures.tsv" "$top/tests/fixtures/pcap" \
		"$t/fixtures/" || return 1
	cp "$top/tests/reasm/cases.tsv" "$t/" || return 1
	for f in curl12-whole curl13-whole big-2seg; do
		cp "$top/tests/reasm/captures/$f.pcap" "$t/captures/" || return 1
	done
}

# Copy a program and every shared library it loads into the initramfs
# root, at the paths where the dynamic loader looks for them.
copy_program() {
	local root=$1 program=$2 dest=${3:-$2} lib
	if [ "$program" != "$root$dest" ]; then
		mkdir -p "$root$(dirname "$dest")"
		cp -L "$program" "$root$dest" || return 1
	fi
	for lib in $(ldd "$program" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

# The part of the initramfs that every kernel shares.
build_common_cpio() {
	local root=$cache/root program
	rm -rf "$root"
	stage_tests "$root" || return 1
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,var,etc,lib/modules}
	cp /bin/busybox "$root/bin/busybox" || return 1
	cp "$here/init" "$root/init" || return 1
	for program in ip tc; do
		copy_program "$root" "$(command -v "$program")" \
			"/usr/sbin/$program" || return 1
	done
	for program in "$root"/t/tlsfp "$root"/t/test_fixtures \
		"$root"/t/test_md5_kernel "$root"/t/send_pcap; do
		copy_program "$root" "$program" "${program#"$root"}" ||
			return 1
	done
	: >"$root/etc/passwd"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$cache/common.cpio"
}

apt_dir() {
	echo "$cache/apt-$1"
}

# apt-get and apt-cache with a private list of one suite, so that the
# host's sources and state stay as they are.
apt_opts() {
	local dir
	dir=$(apt_dir "$1")
	echo "-o Dir::Etc::SourceList=$dir/sources.list" \
		"-o Dir::Etc::SourceParts=$dir/sources.list.d" \
		"-o Dir::State::Lists=$dir/lists" \
		"-o Dir::Cache=$dir/cache" \
		"-o APT::Sandbox::User=root" \
		"-o Debug::NoLocking=1"
}

apt_update() {
	local suite=$1 dir keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	dir=$(apt_dir "$suite")
	[ -e "$dir/updated" ] && return 0
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" \
		"$dir/sources.list.d"
	cat >"$dir/sources.list" <<-EOF
		deb [signed-by=$keyring] http://deb.debian.org/debian $suite main
		deb [signed-by=$keyring] http://deb.debian.org/debian-security $suite-security main
	EOF
	# shellcheck disable=SC2046
	apt-get $(apt_opts "$suite") update -qq >"$dir/update.log" 2>&1 ||
		return 1
	touch "$dir/updated"
}

# Name of the kernel image package that PACKAGE stands for in SUITE.
resolve_package() {
	local suite=$1 package=$2 regex
	if [[ $package == /*/ ]]; then
		regex=${package:1:-1}
		# shellcheck disable=SC2046
		apt-cache $(apt_opts "$suite") pkgnames linux-image- |
			grep -E "$regex" | sort -V | tail -n 1
	elif [[ $package =~ ^linux-image-[0-9] ]]; then
		echo "$package"
	else
		# shellcheck disable=SC2046
		apt-cache $(apt_opts "$suite") depends "$package" |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
	fi
}

# Fetch and unpack a kernel; prints the directory holding vmlinuz and
# modules/.
fetch_kernel() {
	local suite=$1 package=$2 dir deb module
	dir=$cache/$package
	if [ -e "$dir/vmlinuz" ]; then
		echo "$dir"
		return 0
	fi
	mkdir -p "$dir/unpacked" "$dir/modules"
	# shellcheck disable=SC2046
	(cd "$dir" && apt-get $(apt_opts "$suite") download -qq "$package") \
		>"$dir/download.log" 2>&1 || return 1
	deb=$(ls "$dir"/*.deb) || return 1
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$dir/unpacked" --wildcards './boot/vmlinuz-*' \
			'*/veth.ko*' '*/sch_ingress.ko*' '*/cls_bpf.ko*' ||
		return 1
	cp "$dir"/unpacked/boot/vmlinuz-* "$dir/vmlinuz.tmp" || return 1
	# busybox insmod loads plain .ko files only.
	for module in $(find "$dir/unpacked" -name '*.ko*'); do
		case $module in
		*.ko.xz) xz -dc "$module" >"$dir/modules/$(basename "$module" .xz)" ;;
		*.ko.zst) zstd -qdc "$module" >"$dir/modules/$(basename "$module" .zst)" ;;
		*.ko) cp "$module" "$dir/modules/" ;;
		esac || return 1
	done
	rm -rf "$dir/unpacked" "$deb"
	mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
	echo "$dir"
}

# Prefix every result line of a guest log with the kernel's label.
report_guest_log() {
	local label=$1 log=$2
	tr -d '\r' <"$log" |
		sed -n -e "s/^\(ok\|not ok\|skip\) - /&kernel $label: /p" \
			-e "s/^# \(kernel\|time\|tlsfp\|guest\|  \)/# $label: \1/p"
}

run_kernel() {
	local label=$1 suite=$2 package=$3 expect=$4 name dir log start status
	start=$SECONDS
	if ! apt_update "$suite"; then
		not_ok "kernel $label: apt-get update of $suite" \
			"$(tail -n 2 "$(apt_dir "$suite")/update.log")"
		return
	fi
	name=$(resolve_package "$suite" "$package")
	if [ -z "$name" ]; then
		not_ok "kernel $label: package found" \
			"no package of $suite matches $package"
		return
	fi
	if ! dir=$(fetch_kernel "$suite" "$name"); then
		not_ok "kernel $label: $name downloaded and unpacked" \
			"$(tail -n 2 "$cache/$name/download.log" 2>/dev/null)"
		return
	fi
	echo "# kernel $label: $name"

	rm -rf "$dir/root"
	mkdir -p "$dir/root/lib/modules"
	cp "$dir"/modules/*.ko "$dir/root/lib/modules/"
	(cd "$dir/root" && find . | cpio -o -H newc --quiet) >"$dir/modules.cpio"
	cat "$cache/common.cpio" "$dir/modules.cpio" >"$dir/initrd"

	log=$dir/console.log
	timeout "$timeout_seconds" qemu-system-x86_64 -machine q35 \
		-accel tcg,thread=multi -cpu max -smp "$smp" -m 1024 \
		-nographic -no-reboot -nic none -monitor none \
		-serial "file:$log" -display none \
		-kernel "$dir/vmlinuz" -initrd "$dir/initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 tlsfp.expect=$expect ${GUEST_APPEND:-}" \
		</dev/null >"$dir/qemu.log" 2>&1
	status=$?
	report_guest_log "$label" "$log"
	if [ "$status" -eq 124 ]; then
		not_ok "kernel $label: guest finished" \
			"timed out after $timeout_seconds s; last line: $(tr -d '\r' <"$log" | tail -n 1)"
	elif ! grep -q '^# guest: done' "$log"; then
		not_ok "kernel $label: guest finished" \
			"qemu exit status $status; last lines: $(tr -d '\r' <"$log" | tail -n 3 | tr '\n' ' ') $(tail -n 2 "$dir/qemu.log")"
	else
		ok "kernel $label: guest finished"
	fi
	echo "# kernel $label: $((SECONDS - start)) s in all"
}

run_running() {
	local start=$SECONDS stage=$cache/running
	stage_tests "$stage" || {
		not_ok "kernel running: tests staged" "copy failed"
		return
	}
	echo "# kernel running: $(uname -r)"
	sh "$stage/t/guest.sh" "$stage/t" pass 2>&1 |
		sed -n -e 's/^\(ok\|not ok\|skip\) - /&kernel running: /p' \
			-e 's/^# \(kernel\|time\)/# running: \1/p'
	echo "# kernel running: $((SECONDS - start)) s in all"
}

want() {
	[ ${#labels[@]} -eq 0 ] && return 0
	local l
	for l in "${labels[@]}"; do
		[ "$l" = "$1" ] && return 0
	done
	return 1
}

labels=("$@")
mkdir -p "$cache"
if ! build_common_cpio; then
	not_ok "initramfs built" "see the messages above"
	exit 1
fi
while IFS=$'\t' read -r label suite package expect; do
	[[ -z $label || $label == \#* ]] && continue
	want "$label" || continue
	run_kernel "$label" "$suite" "$package" "$expect"
done <"$here/kernels.tsv"
if want running; then
	run_running
fi
