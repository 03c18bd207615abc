#!/bin/bash
# Install the Debian packages that tlsfp's build, tests and demo need.
# Idempotent: when every package is present it changes nothing, and it
# runs apt-get update at most once.
set -euo pipefail

packages=(
	# build
	make clang llvm gcc pkg-config bpftool
	libbpf-dev libelf-dev zlib1g-dev libssl-dev libjson-c-dev libpcap-dev
	libcap-dev
	# tests and demo
	iproute2 ethtool tcpdump tshark openssl curl gnutls-bin
	python3 python3-scapy python3-yaml jq tcpreplay
	# kernel tests: boot Debian's kernels under qemu
	qemu-system-x86 busybox-static cpio xz-utils zstd
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
