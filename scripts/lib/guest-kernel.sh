# Sourced by scripts/build-guest.sh and scripts/build-debug-kernel.sh: which
# kernel the guest runs. Debian's linux-image-amd64 metapackage names the
# current ABI (the archive drops old ones); the ABI's image package has one
# candidate version, which is also the version of the `linux` source package
# it was built from.
#
# guest_kernel_resolve sets GUEST_KERNEL_ABI (6.1.0-57-amd64) and
# GUEST_KERNEL_VERSION (6.1.192-3). The caller defines apt_update (run once
# when the cached package lists do not resolve) and die.
_guest_kernel_abi() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
_guest_kernel_candidate() {
  apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' | head -n1
}
guest_kernel_resolve() {
  GUEST_KERNEL_ABI=$(_guest_kernel_abi)
  GUEST_KERNEL_VERSION=""
  [ -n "$GUEST_KERNEL_ABI" ] && GUEST_KERNEL_VERSION=$(_guest_kernel_candidate "linux-image-$GUEST_KERNEL_ABI")
  if [ -z "$GUEST_KERNEL_ABI" ] || [ -z "$GUEST_KERNEL_VERSION" ]; then
    apt_update
    GUEST_KERNEL_ABI=$(_guest_kernel_abi)
    [ -n "$GUEST_KERNEL_ABI" ] || die "cannot resolve linux-image-amd64 to a kernel ABI (apt-cache depends linux-image-amd64)"
    GUEST_KERNEL_VERSION=$(_guest_kernel_candidate "linux-image-$GUEST_KERNEL_ABI")
    [ -n "$GUEST_KERNEL_VERSION" ] || die "no candidate version for linux-image-$GUEST_KERNEL_ABI"
  fi
}
