/* mtdinfo [DEV]: print the MEMGETINFO result for an MTD device
   (default /dev/mtd0). */
#include "libc.h"

/* include/uapi/mtd/mtd-abi.h */
struct mtd_info_user {
	u8 type;
	u32 flags;
	u32 size;
	u32 erasesize;
	u32 writesize;
	u32 oobsize;
	u64 padding;
};

/* _IOR('M', 1, struct mtd_info_user): 0x80204d01 with the generic
   encoding, 0x40204d01 on powerpc and mips. */
#define MEMGETINFO IOR('M', 1, sizeof(struct mtd_info_user))

static void field(const char *name, u32 v, int hex)
{
	out_puts(name);
	out_putc(' ');
	if (hex) {
		out_puts("0x");
		o_hex(&out_stdout, v, 1);
	} else {
		o_u64(&out_stdout, v);
	}
	out_putc('\n');
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/mtd0";
	struct mtd_info_user info;
	int fd, r;
	memset(&info, 0, sizeof info);
	fd = sys_open(dev, O_RDONLY, 0);
	if (fd < 0) {
		report_error("mtdinfo", dev, fd);
		return 1;
	}
	r = sys_ioctl(fd, MEMGETINFO, &info);
	if (r < 0) {
		report_error("mtdinfo", dev, r);
		return 1;
	}
	field("type", info.type, 0);
	field("flags", info.flags, 1);
	field("size", info.size, 0);
	field("erasesize", info.erasesize, 0);
	field("writesize", info.writesize, 0);
	field("oobsize", info.oobsize, 0);
	sys_close(fd);
	return 0;
}
