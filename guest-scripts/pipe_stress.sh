# Pipes under load. 10 MB through three processes; a reader that quits
# early (the writer dies of SIGPIPE, status 141); writes far larger than
# the 64 KiB pipe buffer, which block and complete.
yes | head -c 10000000 | wc -c
yes pipe | head -n 3
dd if=/dev/zero bs=200000 count=3 2>/dev/null | wc -c
set -o pipefail
yes | head -c 1 > /dev/null
echo "yes after its reader quit: $?"
