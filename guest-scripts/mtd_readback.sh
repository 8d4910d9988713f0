# MTD flash read-back, the shape of the CI test that crashed a sibling
# process: the whole device through cat, strings and grep. MTD names the
# device (for example mtd0); the flash holds a PENGUIN_MTD_MAGIC string.
set -e
set -o pipefail
cat /dev/${MTD} | strings | grep PENGUIN_MTD_MAGIC
