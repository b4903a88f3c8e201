// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-noorder: cached writes.
 *
 * Each write is copied into a nord_rec, an immutable copy of its data that
 * the cache and the log entries share by reference; the pages of copies
 * that were destaged are kept for the next writes.
 */
#include <linux/bio.h>
#include <linux/highmem.h>
#include <linux/kref.h>
#include <linux/mempool.h>
#include <linux/slab.h>

#include "nord_internal.h"

/*
 * Pages of destaged copies are kept for the next writes, up to the size of
 * the cache: that spares the page allocator and the zeroing of every page
 * it hands out (init_on_alloc), which cost more than the copy itself.
 * Then a new page, then the pool's reserve, or NULL: nothing here waits.
 */
static struct page *nord_page_get(struct nord_c *c)
{
	struct page *page = NULL;

	spin_lock(&c->free_lock);
	if (c->nr_free) {
		page = list_first_entry(&c->free_pages, struct page, lru);
		list_del(&page->lru);
		c->nr_free--;
	}
	spin_unlock(&c->free_lock);
	if (page)
		return page;
	/* Never waits: a write that gets no page is deferred (noorder.c). */
	page = alloc_page(GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
	return page ? page : mempool_alloc(&c->page_pool, GFP_NOWAIT | __GFP_NOWARN);
}

static void nord_page_put(struct nord_c *c, struct page *page)
{
	spin_lock(&c->free_lock);
	if (c->nr_free < c->max_free) {
		list_add(&page->lru, &c->free_pages);
		c->nr_free++;
		page = NULL;
	}
	spin_unlock(&c->free_lock);
	if (page)
		mempool_free(page, &c->page_pool);
}

void nord_pages_drop(struct nord_c *c)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &c->free_pages, lru) {
		list_del(&page->lru);
		mempool_free(page, &c->page_pool);
	}
	c->nr_free = 0;
}

static void nord_rec_release(struct kref *ref)
{
	struct nord_rec *rec = container_of(ref, struct nord_rec, ref);
	unsigned int i;

	for (i = 0; i < rec->nr_pages; i++)
		nord_page_put(rec->c, rec->pages[i]);
	if (rec->pooled)
		mempool_free(rec, &rec->c->rec_pool);
	else
		kfree(rec);
}

void nord_rec_put(struct nord_rec *rec)
{
	kref_put(&rec->ref, nord_rec_release);
}

/*
 * Allocates a record for @nr_sectors and copies @bio's data into it, or
 * returns NULL without waiting when memory is short: the record comes
 * from the slab or else from rec_pool's reserve, each page from
 * nord_page_get().  The caller defers the write and retries once destage
 * has returned pages and records (noorder.c, "deferred writes").
 */
struct nord_rec *nord_rec_alloc(struct nord_c *c, struct bio *bio,
				sector_t sector, unsigned int nr_sectors)
{
	unsigned int nr_pages = DIV_ROUND_UP(nr_sectors << SECTOR_SHIFT,
					     PAGE_SIZE);
	struct bvec_iter iter;
	struct bio_vec bv;
	struct nord_rec *rec;
	size_t off = 0;
	unsigned int i;
	bool pooled = false;

	rec = kmalloc(nord_rec_size(nr_sectors),
		      GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
	if (!rec) {
		rec = mempool_alloc(&c->rec_pool, GFP_NOWAIT | __GFP_NOWARN);
		if (!rec)
			return NULL;
		pooled = true;
	}
	kref_init(&rec->ref);
	INIT_LIST_HEAD(&rec->list);
	rec->c = c;
	rec->pooled = pooled;
	rec->sector = sector;
	rec->nr_sectors = nr_sectors;
	rec->nr_pages = 0;
	rec->wmap = (unsigned long *)&rec->pages[nr_pages];
	for (i = 0; i < nr_pages; i++) {
		rec->pages[i] = nord_page_get(c);
		if (!rec->pages[i]) {
			nord_rec_put(rec);	/* puts the pages it has */
			return NULL;
		}
		rec->nr_pages++;
	}

	bio_for_each_segment(bv, bio, iter) {
		char *src = bvec_kmap_local(&bv);
		unsigned int done = 0;

		while (done < bv.bv_len) {
			unsigned int poff = offset_in_page(off);
			unsigned int n = min_t(unsigned int, bv.bv_len - done,
					       PAGE_SIZE - poff);
			char *dst = kmap_local_page(rec->pages[off >> PAGE_SHIFT]);

			memcpy(dst + poff, src + done, n);
			kunmap_local(dst);
			done += n;
			off += n;
		}
		kunmap_local(src);
	}
	return rec;
}

/* Copies sector @s of @rec to @dst. */
void nord_rec_read_sector(struct nord_rec *rec, sector_t s, char *dst)
{
	size_t off = (size_t)(s - rec->sector) << SECTOR_SHIFT;
	char *src = kmap_local_page(rec->pages[off >> PAGE_SHIFT]);

	memcpy(dst, src + offset_in_page(off), SECTOR_SIZE);
	kunmap_local(src);
}
