/* hexdump [-C] [-v] [FILE...]: util-linux "hexdump -C" output (the
   canonical format is always used). Same source as od. */
#define HEXDUMP_DEFAULT 1
#include "od.c"
