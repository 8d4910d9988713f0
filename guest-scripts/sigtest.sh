# One case of the glibc signal test (guest/libc-tests/src/sigtest.c), from
# a rootfs holding the arch's binaries: CASE comes from the cell's env.
/sigtest-static $CASE
