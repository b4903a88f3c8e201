// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-noorder: the log.
 *
 * While the log is on, every write, flush, FUA, discard and mark is
 * appended to it (a write with a reference to its cached data) until it
 * is read through debugfs as the stream of include/noorder_log.h; the
 * "log" message turns it on and off, clears it, marks it and tells where
 * it is read.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/device-mapper.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "noorder_internal.h"

static struct dentry *no_dbg_root;
static atomic_t no_instances = ATOMIC_INIT(0);

static void no_logent_free(struct no_logent *e)
{
	if (e->rec)
		no_rec_put(e->rec);
	kfree(e);
}

static u64 no_logent_bytes(const struct no_logent *e)
{
	return NOORDER_LOG_REC_SIZE + le64_to_cpu(e->hdr.data_len);
}

/*
 * Appends @e (allocated by the caller before taking the lock) to the log,
 * or frees nothing and returns it when it is not wanted.
 */
struct no_logent *__no_log_add(struct no_c *c, struct no_logent *e,
			       enum noorder_log_type type, u32 flags,
			       sector_t sector, u64 nr_sectors,
			       struct no_rec *rec)
{
	lockdep_assert_held(&c->lock);
	if (c->log_state != NO_LOG_ON)
		return e;
	if (!e) {
		c->log_state = NO_LOG_OVERFLOW;
		DMERR("%s: log stopped at record %llu: out of memory",
		      no_name(c), c->log_seq);
		return NULL;
	}
	e->hdr.magic = cpu_to_le32(NOORDER_LOG_MAGIC);
	e->hdr.version = cpu_to_le16(NOORDER_LOG_VERSION);
	e->hdr.type = cpu_to_le16(type);
	e->hdr.flags = cpu_to_le32(flags);
	e->hdr.reserved = 0;
	e->hdr.seq = cpu_to_le64(c->log_seq);
	e->hdr.sector = cpu_to_le64(sector);
	e->hdr.nr_sectors = cpu_to_le64(nr_sectors);
	e->hdr.data_len = cpu_to_le64(type == NOORDER_LOG_WRITE ?
				      nr_sectors << SECTOR_SHIFT : 0);
	if (c->log_bytes + no_logent_bytes(e) > c->log_limit) {
		c->log_state = NO_LOG_OVERFLOW;
		DMERR("%s: log full at record %llu (limit %llu MiB): logging stopped",
		      no_name(c), c->log_seq, c->log_limit >> 20);
		return e;
	}
	if (rec) {
		kref_get(&rec->ref);
		e->rec = rec;
	}
	c->log_seq++;
	c->log_records++;
	c->log_bytes += no_logent_bytes(e);
	list_add_tail(&e->list, &c->log);
	return NULL;
}

struct no_logent *no_logent_alloc(struct no_c *c)
{
	struct no_logent *e;

	if (READ_ONCE(c->log_state) != NO_LOG_ON)
		return NULL;
	e = kmalloc(sizeof(*e), GFP_NOIO | __GFP_NOWARN);
	if (e)
		e->rec = NULL;
	return e;
}

/* Discards the unread log; the caller holds log_read_mutex. */
void no_log_clear(struct no_c *c, enum no_log_state state)
{
	struct no_logent *e, *n;
	LIST_HEAD(old);

	spin_lock(&c->lock);
	list_splice_init(&c->log, &old);
	c->log_records = 0;
	c->log_bytes = 0;
	c->log_seq = 0;
	c->log_state = state;
	spin_unlock(&c->lock);
	list_for_each_entry_safe(e, n, &old, list)
		no_logent_free(e);
	if (c->log_cur) {
		no_logent_free(c->log_cur);
		c->log_cur = NULL;
	}
	c->log_pos = 0;
}

/* Copies bytes [@pos, @pos + @len) of entry @e's stream form to @buf. */
static int no_logent_copy(struct no_logent *e, u64 pos, char __user *buf,
			  size_t len)
{
	size_t n;

	if (pos < NOORDER_LOG_REC_SIZE) {
		n = min_t(size_t, len, NOORDER_LOG_REC_SIZE - pos);
		if (copy_to_user(buf, (char *)&e->hdr + pos, n))
			return -EFAULT;
		buf += n;
		len -= n;
		pos += n;
	}
	while (len) {
		size_t off = pos - NOORDER_LOG_REC_SIZE;
		size_t poff = offset_in_page(off);
		char *src;
		int left;

		n = min_t(size_t, len, PAGE_SIZE - poff);
		src = kmap_local_page(e->rec->pages[off >> PAGE_SHIFT]);
		left = copy_to_user(buf, src + poff, n);
		kunmap_local(src);
		if (left)
			return -EFAULT;
		buf += n;
		len -= n;
		pos += n;
	}
	return 0;
}

static ssize_t no_log_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct no_c *c = file->private_data;
	ssize_t done = 0;
	int r = 0;

	mutex_lock(&c->log_read_mutex);
	while (done < count) {
		struct no_logent *e = c->log_cur;
		u64 size;
		size_t n;

		if (!e) {
			spin_lock(&c->lock);
			e = list_first_entry_or_null(&c->log, struct no_logent,
						     list);
			if (e) {
				list_del(&e->list);
				c->log_records--;
				c->log_bytes -= no_logent_bytes(e);
			} else if (c->log_state == NO_LOG_OVERFLOW) {
				r = -ENOSPC;
			}
			spin_unlock(&c->lock);
			if (!e)
				break;
			c->log_cur = e;
			c->log_pos = 0;
		}
		size = no_logent_bytes(e);
		n = min_t(u64, count - done, size - c->log_pos);
		r = no_logent_copy(e, c->log_pos, buf + done, n);
		if (r)
			break;
		done += n;
		c->log_pos += n;
		if (c->log_pos == size) {
			no_logent_free(e);
			c->log_cur = NULL;
		}
	}
	mutex_unlock(&c->log_read_mutex);
	if (done) {
		*ppos += done;
		return done;
	}
	return r;
}

static const struct file_operations no_log_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = no_log_read,
	.llseek = no_llseek,
};

/* Creates the instance's debugfs directory and its "log" file. */
void no_log_debugfs_add(struct no_c *c)
{
	if (!IS_ERR_OR_NULL(no_dbg_root)) {
		snprintf(c->dbg_name, sizeof(c->dbg_name), "%s.%d",
			 no_name(c), atomic_inc_return(&no_instances));
		c->dbg_dir = debugfs_create_dir(c->dbg_name, no_dbg_root);
		debugfs_create_file("log", 0400, c->dbg_dir, c, &no_log_fops);
	}
}

void no_log_debugfs_remove(struct no_c *c)
{
	debugfs_remove(c->dbg_dir);	/* waits for readers */
}

/* The module's debugfs directory, dm-noorder/, parent of the instances'. */
void no_log_debugfs_init(void)
{
	no_dbg_root = debugfs_create_dir("dm-noorder", NULL);
}

void no_log_debugfs_exit(void)
{
	debugfs_remove(no_dbg_root);
}

/* ---- the "log" message ------------------------------------------------ */

int no_msg_log(struct no_c *c, unsigned int argc, char **argv,
	       char *result, unsigned int maxlen, const char **err)
{
	unsigned int sz = 0;
	u64 v;

	if (argc < 2) {
		*err = "Usage: log on [<limit_mb>] | off | clear | mark <n> | path";
		return -EINVAL;
	}
	if (!strcasecmp(argv[1], "on") && argc <= 3) {
		unsigned int mb = NO_DEFAULT_LOG_MB;

		if (argc == 3 && (no_parse_uint(argv[2], NO_MAX_LOG_MB, &mb) ||
				  !mb)) {
			*err = "log limit must be 1-1048576 MiB";
			return -EINVAL;
		}
		mutex_lock(&c->log_read_mutex);
		no_log_clear(c, NO_LOG_ON);
		spin_lock(&c->lock);
		c->log_limit = (u64)mb << 20;
		spin_unlock(&c->lock);
		mutex_unlock(&c->log_read_mutex);
		return 0;
	}
	if (!strcasecmp(argv[1], "off") && argc == 2) {
		spin_lock(&c->lock);
		if (c->log_state == NO_LOG_ON)
			c->log_state = NO_LOG_OFF;
		spin_unlock(&c->lock);
		return 0;
	}
	if (!strcasecmp(argv[1], "clear") && argc == 2) {
		mutex_lock(&c->log_read_mutex);
		spin_lock(&c->lock);
		v = c->log_state == NO_LOG_ON;
		spin_unlock(&c->lock);
		no_log_clear(c, v ? NO_LOG_ON : NO_LOG_OFF);
		mutex_unlock(&c->log_read_mutex);
		return 0;
	}
	if (!strcasecmp(argv[1], "mark") && argc == 3) {
		struct no_logent *e;

		if (no_parse_u64(argv[2], &v)) {
			*err = "Invalid mark";
			return -EINVAL;
		}
		if (READ_ONCE(c->log_state) != NO_LOG_ON) {
			*err = "The log is not on";
			return -EINVAL;
		}
		e = kmalloc(sizeof(*e), GFP_KERNEL);
		if (e)
			e->rec = NULL;
		spin_lock(&c->lock);
		e = __no_log_add(c, e, NOORDER_LOG_MARK, 0, v, 0, NULL);
		spin_unlock(&c->lock);
		kfree(e);
		return 0;
	}
	if (!strcasecmp(argv[1], "path") && argc == 2) {
		if (IS_ERR_OR_NULL(c->dbg_dir)) {
			*err = "No debugfs: the log cannot be read";
			return -ENODEV;
		}
		DMEMIT("dm-noorder/%s/log", c->dbg_name);
		return 1;
	}
	*err = "Usage: log on [<limit_mb>] | off | clear | mark <n> | path";
	return -EINVAL;
}
