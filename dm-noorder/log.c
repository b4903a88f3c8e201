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

#include "nord_internal.h"

static struct dentry *nord_dbg_root;
static atomic_t nord_instances = ATOMIC_INIT(0);

static void nord_logent_free(struct nord_logent *e)
{
	if (e->rec)
		nord_rec_put(e->rec);
	kfree(e);
}

static u64 nord_logent_bytes(const struct nord_logent *e)
{
	return NOORDER_LOG_REC_SIZE + le64_to_cpu(e->hdr.data_len);
}

/*
 * Appends @e (allocated by the caller before taking the lock) to the log,
 * or frees nothing and returns it when it is not wanted.
 */
struct nord_logent *__nord_log_add(struct nord_c *c, struct nord_logent *e,
				   enum noorder_log_type type, u32 flags,
			       sector_t sector, u64 nr_sectors,
			       struct nord_rec *rec)
{
	lockdep_assert_held(&c->lock);
	if (c->log_state != NORD_LOG_ON)
		return e;
	if (!e) {
		c->log_state = NORD_LOG_OVERFLOW;
		DMERR("%s: log stopped at record %llu: out of memory",
		      nord_name(c), c->log_seq);
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
	if (c->log_bytes + nord_logent_bytes(e) > c->log_limit) {
		c->log_state = NORD_LOG_OVERFLOW;
		DMERR("%s: log full at record %llu (limit %llu MiB): logging stopped",
		      nord_name(c), c->log_seq, c->log_limit >> 20);
		return e;
	}
	if (rec) {
		kref_get(&rec->ref);
		e->rec = rec;
	}
	c->log_seq++;
	c->log_records++;
	c->log_bytes += nord_logent_bytes(e);
	list_add_tail(&e->list, &c->log);
	return NULL;
}

struct nord_logent *nord_logent_alloc(struct nord_c *c)
{
	struct nord_logent *e;

	if (READ_ONCE(c->log_state) != NORD_LOG_ON)
		return NULL;
	e = kmalloc(sizeof(*e), GFP_NOIO | __GFP_NOWARN);
	if (e)
		e->rec = NULL;
	return e;
}

/* Discards the unread log; the caller holds log_read_mutex. */
void nord_log_clear(struct nord_c *c, enum nord_log_state state)
{
	struct nord_logent *e, *n;
	LIST_HEAD(old);

	spin_lock(&c->lock);
	list_splice_init(&c->log, &old);
	c->log_records = 0;
	c->log_bytes = 0;
	c->log_seq = 0;
	c->log_state = state;
	spin_unlock(&c->lock);
	list_for_each_entry_safe(e, n, &old, list)
		nord_logent_free(e);
	if (c->log_cur) {
		nord_logent_free(c->log_cur);
		c->log_cur = NULL;
	}
	c->log_pos = 0;
}

/* Copies bytes [@pos, @pos + @len) of entry @e's stream form to @buf. */
static int nord_logent_copy(struct nord_logent *e, u64 pos, char __user *buf,
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

static ssize_t nord_log_read(struct file *file, char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct nord_c *c = file->private_data;
	ssize_t done = 0;
	int r = 0;

	mutex_lock(&c->log_read_mutex);
	while (done < count) {
		struct nord_logent *e = c->log_cur;
		u64 size;
		size_t n;

		if (!e) {
			spin_lock(&c->lock);
			e = list_first_entry_or_null(&c->log,
						     struct nord_logent, list);
			if (e) {
				list_del(&e->list);
				c->log_records--;
				c->log_bytes -= nord_logent_bytes(e);
			} else if (c->log_state == NORD_LOG_OVERFLOW) {
				r = -ENOSPC;
			}
			spin_unlock(&c->lock);
			if (!e)
				break;
			c->log_cur = e;
			c->log_pos = 0;
		}
		size = nord_logent_bytes(e);
		n = min_t(u64, count - done, size - c->log_pos);
		r = nord_logent_copy(e, c->log_pos, buf + done, n);
		if (r)
			break;
		done += n;
		c->log_pos += n;
		if (c->log_pos == size) {
			nord_logent_free(e);
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

static const struct file_operations nord_log_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = nord_log_read,
	.llseek = no_llseek,
};

/* Creates the instance's debugfs directory and its "log" file. */
void nord_log_debugfs_add(struct nord_c *c)
{
	if (!IS_ERR_OR_NULL(nord_dbg_root)) {
		snprintf(c->dbg_name, sizeof(c->dbg_name), "%s.%d",
			 nord_name(c), atomic_inc_return(&nord_instances));
		c->dbg_dir = debugfs_create_dir(c->dbg_name, nord_dbg_root);
		debugfs_create_file("log", 0400, c->dbg_dir, c, &nord_log_fops);
	}
}

void nord_log_debugfs_remove(struct nord_c *c)
{
	debugfs_remove(c->dbg_dir);	/* waits for readers */
}

/* The module's debugfs directory, dm-noorder/, parent of the instances'. */
void nord_log_debugfs_init(void)
{
	nord_dbg_root = debugfs_create_dir("dm-noorder", NULL);
}

void nord_log_debugfs_exit(void)
{
	debugfs_remove(nord_dbg_root);
}

/* ---- the "log" message ------------------------------------------------ */

int nord_msg_log(struct nord_c *c, unsigned int argc, char **argv,
		 char *result, unsigned int maxlen, const char **err)
{
	unsigned int sz = 0;
	u64 v;

	if (argc < 2) {
		*err = "Usage: log on [<limit_mb>] | off | clear | mark <n> | path";
		return -EINVAL;
	}
	if (!strcasecmp(argv[1], "on") && argc <= 3) {
		unsigned int mb = NORD_DEFAULT_LOG_MB;

		if (argc == 3 &&
		    (nord_parse_uint(argv[2], NORD_MAX_LOG_MB, &mb) || !mb)) {
			*err = "log limit must be 1-1048576 MiB";
			return -EINVAL;
		}
		mutex_lock(&c->log_read_mutex);
		nord_log_clear(c, NORD_LOG_ON);
		spin_lock(&c->lock);
		c->log_limit = (u64)mb << 20;
		spin_unlock(&c->lock);
		mutex_unlock(&c->log_read_mutex);
		return 0;
	}
	if (!strcasecmp(argv[1], "off") && argc == 2) {
		spin_lock(&c->lock);
		if (c->log_state == NORD_LOG_ON)
			c->log_state = NORD_LOG_OFF;
		spin_unlock(&c->lock);
		return 0;
	}
	if (!strcasecmp(argv[1], "clear") && argc == 2) {
		mutex_lock(&c->log_read_mutex);
		spin_lock(&c->lock);
		v = c->log_state == NORD_LOG_ON;
		spin_unlock(&c->lock);
		nord_log_clear(c, v ? NORD_LOG_ON : NORD_LOG_OFF);
		mutex_unlock(&c->log_read_mutex);
		return 0;
	}
	if (!strcasecmp(argv[1], "mark") && argc == 3) {
		struct nord_logent *e;

		if (nord_parse_u64(argv[2], &v)) {
			*err = "Invalid mark";
			return -EINVAL;
		}
		if (READ_ONCE(c->log_state) != NORD_LOG_ON) {
			*err = "The log is not on";
			return -EINVAL;
		}
		e = kmalloc(sizeof(*e), GFP_KERNEL);
		if (e)
			e->rec = NULL;
		spin_lock(&c->lock);
		e = __nord_log_add(c, e, NOORDER_LOG_MARK, 0, v, 0, NULL);
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
