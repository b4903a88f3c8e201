// SPDX-License-Identifier: GPL-2.0-only
/*
 * rig_bugs: deliberate bugs, one per checker of the debug kernel, so that
 * the rig's self-test can show each checker reports and the rig fails the
 * case (tests/vm/selftest --kernel debug).  Loading the module does
 * nothing; writing a word to /sys/kernel/debug/rig_bugs/trigger commits
 * that one bug:
 *
 *   use-after-free   read a freed kmalloc object       (KASAN)
 *   out-of-bounds    read past a kmalloc object        (KASAN)
 *   leak             lose a kmalloc object             (kmemleak)
 *   lock-inversion   take two mutexes in both orders   (lockdep)
 *   atomic-sleep     might_sleep() under a spinlock    (DEBUG_ATOMIC_SLEEP)
 *   shift            shift an int by 40                (UBSAN)
 *   list-corruption  list_del of a corrupted entry     (DEBUG_LIST)
 *
 * None of them hangs or oopses the kernel; the reports are the point.
 * Never load this module outside the rig.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct dentry *rb_dir;
static DEFINE_MUTEX(rb_a);
static DEFINE_MUTEX(rb_b);
static DEFINE_SPINLOCK(rb_spin);
/* Read through READ_ONCE so the compiler cannot see the bug coming. */
static int rb_shift = 40;
static int rb_past = 64;

static int rb_use_after_free(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	char c;

	if (!p)
		return -ENOMEM;
	p[0] = 1;
	kfree(p);
	c = READ_ONCE(p[0]);
	pr_info("rig_bugs: read %d from freed memory\n", c);
	return 0;
}

static int rb_out_of_bounds(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	char c;

	if (!p)
		return -ENOMEM;
	c = READ_ONCE(p[READ_ONCE(rb_past)]);
	pr_info("rig_bugs: read %d past the object\n", c);
	kfree(p);
	return 0;
}

static int rb_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 128);
	pr_info("rig_bugs: lost a 128-byte object\n");
	return 0;
}

static int rb_lock_inversion(void)
{
	mutex_lock(&rb_a);
	mutex_lock(&rb_b);
	mutex_unlock(&rb_b);
	mutex_unlock(&rb_a);
	/* The other order: no deadlock with one thread, a report anyway. */
	mutex_lock(&rb_b);
	mutex_lock(&rb_a);
	mutex_unlock(&rb_a);
	mutex_unlock(&rb_b);
	return 0;
}

static int rb_atomic_sleep(void)
{
	spin_lock(&rb_spin);
	might_sleep();
	spin_unlock(&rb_spin);
	return 0;
}

static int rb_bad_shift(void)
{
	int one = 1;

	pr_info("rig_bugs: 1 << %d = %d\n", READ_ONCE(rb_shift),
		one << READ_ONCE(rb_shift));
	return 0;
}

static int rb_list_corruption(void)
{
	LIST_HEAD(head);
	struct list_head a, b;

	list_add(&a, &head);
	list_add(&b, &head);
	WRITE_ONCE(a.prev, &a);		/* b's successor no longer points back */
	list_del(&b);			/* refused and reported */
	INIT_LIST_HEAD(&head);
	return 0;
}

static const struct {
	const char *word;
	int (*fn)(void);
} rb_bugs[] = {
	{ "use-after-free", rb_use_after_free },
	{ "out-of-bounds", rb_out_of_bounds },
	{ "leak", rb_leak },
	{ "lock-inversion", rb_lock_inversion },
	{ "atomic-sleep", rb_atomic_sleep },
	{ "shift", rb_bad_shift },
	{ "list-corruption", rb_list_corruption },
};

static ssize_t rb_trigger(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	char word[32];
	size_t i;
	int r;

	if (len >= sizeof(word))
		return -EINVAL;
	if (copy_from_user(word, ubuf, len))
		return -EFAULT;
	word[len] = '\0';
	strim(word);
	for (i = 0; i < ARRAY_SIZE(rb_bugs); i++) {
		if (strcmp(word, rb_bugs[i].word))
			continue;
		pr_info("rig_bugs: %s\n", word);
		r = rb_bugs[i].fn();
		return r ? r : len;
	}
	return -EINVAL;
}

static const struct file_operations rb_fops = {
	.owner = THIS_MODULE,
	.write = rb_trigger,
	.llseek = noop_llseek,
};

static int __init rb_init(void)
{
	rb_dir = debugfs_create_dir("rig_bugs", NULL);
	debugfs_create_file("trigger", 0200, rb_dir, NULL, &rb_fops);
	return 0;
}

static void __exit rb_exit(void)
{
	debugfs_remove_recursive(rb_dir);
}

module_init(rb_init);
module_exit(rb_exit);
MODULE_DESCRIPTION("Deliberate bugs for the test rig's checkers (never load outside the rig)");
MODULE_LICENSE("GPL");
