# read() from flash into buffers the guest cannot write. The host write
# path writes anyway (into the program's own code and read-only data) and
# the event log says so; portal and checked fail with EFAULT. An unmapped
# buffer fails everywhere, a stack buffer works everywhere.
badbuf stack /dev/${MTD}
badbuf code /dev/${MTD}
badbuf rodata /dev/${MTD}
badbuf unmapped /dev/${MTD}
