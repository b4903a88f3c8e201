// SPDX-License-Identifier: GPL-2.0-only
/*
 * subsist_hint_test: calls dm-subsist's kernel hint interface
 * (include/subsist_hint.h) the way a stacking file system will.
 *
 * Load it with dev=<major:minor> (a subsist vdisk or pool) and count=<n>;
 * every write(2) to debugfs subsist_hint_test/hint declares the written
 * bytes as file data through subsist_hint_data().  The write returns the
 * function's error, so a test sees -EINVAL, -ENODEV as errno.
 */

#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "subsist_hint.h"

static char *dev = "";
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "major:minor of a subsist vdisk or pool");
static unsigned int count = 1;
module_param(count, uint, 0644);
MODULE_PARM_DESC(count, "vdisk writes each declared block may match");

static struct dentry *sht_dir;

static ssize_t sht_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	unsigned int major, minor;
	struct block_device *bdev;
	void *buf;
	int r;

	if (sscanf(dev, "%u:%u", &major, &minor) != 2)
		return -EINVAL;
	if (len > SZ_1M)
		return -EFBIG;
	buf = memdup_user(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	bdev = blkdev_get_by_dev(MKDEV(major, minor), FMODE_READ, NULL);
	if (IS_ERR(bdev)) {
		kfree(buf);
		return PTR_ERR(bdev);
	}
	r = subsist_hint_data(bdev, buf, len, READ_ONCE(count));
	blkdev_put(bdev, FMODE_READ);
	kfree(buf);
	return r ? r : len;
}

static const struct file_operations sht_fops = {
	.owner = THIS_MODULE,
	.write = sht_write,
	.llseek = noop_llseek,
};

static int __init sht_init(void)
{
	sht_dir = debugfs_create_dir("subsist_hint_test", NULL);
	debugfs_create_file("hint", 0200, sht_dir, NULL, &sht_fops);
	return 0;
}

static void __exit sht_exit(void)
{
	debugfs_remove(sht_dir);
}

module_init(sht_init);
module_exit(sht_exit);

MODULE_DESCRIPTION("test caller of dm-subsist's subsist_hint_data()");
MODULE_LICENSE("GPL");
