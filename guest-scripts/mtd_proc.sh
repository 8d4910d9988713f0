# Find the partition named "firmware" in /proc/mtd (Linux's table:
# "dev:    size   erasesize  name"), then ask the device named by MTD for
# its geometry with ioctl(MEMGETINFO).
set -e
grep '"firmware"' /proc/mtd
mtdinfo /dev/${MTD}
