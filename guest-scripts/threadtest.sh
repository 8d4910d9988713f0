# One case of the glibc thread test (guest/libc-tests/src/threadtest.c),
# from a rootfs holding the arch's binaries: CASE comes from the cell's env.
/threadtest-static $CASE
