/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmstack: the stack grammar and the table of every layer.
 *
 * Nothing here talks to device-mapper: a spec is parsed into layers, and
 * a plan turns the layers (with the size of the disk at the bottom) into
 * the devices to create, bottom up, each with its name, UUID and table.
 */
#ifndef DMSTACK_SPEC_H
#define DMSTACK_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define DMS_PROG		"dmstack"
#define DMS_MAX_LAYERS		16
#define DMS_MAX_OPTS		16
#define DMS_MAX_VDISKS		14	/* dm-subsist's nr_vdisks: 1..14 */
#define DMS_MAX_DEVS		(DMS_MAX_LAYERS + DMS_MAX_VDISKS)
#define DMS_NAME_MAX		64	/* a stack's NAME */
#define DMS_DEV_LEN		128	/* DM_NAME_LEN */
#define DMS_UUID_LEN		129	/* DM_UUID_LEN */
#define DMS_PATH_LEN		256
#define DMS_PARAMS_LEN		1024
#define DMS_ERR_LEN		512
#define DMS_UUID_PREFIX		"DMSTACK-"

enum dms_type {
	DMS_DISK,
	DMS_ZERO,
	DMS_ERROR,
	DMS_LINEAR,
	DMS_FAULTINJ,
	DMS_FLAKEY,
	DMS_DELAY,
	DMS_NOORDER,
	DMS_SUBSIST,
	DMS_NR_TYPES
};

/* One key=value (or a bare flag word) of a layer, as written. */
struct dms_opt {
	char key[32];
	char val[DMS_PATH_LEN];
	int bare;
};

struct dms_layer {
	enum dms_type type;
	int line;			/* line of the spec text, from 1 */
	char path[DMS_PATH_LEN];	/* disk: the block device */
	int nr_opts;
	struct dms_opt opts[DMS_MAX_OPTS];
};

/* Layers from the bottom up; layers[0] is disk, zero or error. */
struct dms_spec {
	int nr;
	struct dms_layer layers[DMS_MAX_LAYERS];
};

/* One device-mapper device of a stack, with its one-target table. */
struct dms_dev {
	int layer;			/* index in the spec, from the bottom */
	enum dms_type type;
	int vdisk;			/* subsist vdisk index; -1 otherwise */
	char name[DMS_DEV_LEN];
	char uuid[DMS_UUID_LEN];
	uint64_t length;		/* sectors */
	char target[32];
	char params[DMS_PARAMS_LEN];
};

/* The devices of a stack in creation order (bottom up). */
struct dms_plan {
	int nr;
	struct dms_dev devs[DMS_MAX_DEVS];
};

const char *dms_type_name(enum dms_type type);
int dms_type_lookup(const char *word);
const char *dms_known_types(void);

int dms_parse_size(const char *s, uint64_t *sectors);
int dms_name_valid(const char *name, char *err, size_t len);
int dms_spec_parse(const char *text, struct dms_spec *spec, char *err,
		   size_t len);
int dms_plan_build(const struct dms_spec *spec, const char *name,
		   uint64_t disk_sectors, struct dms_plan *plan, char *err,
		   size_t len);
int dms_uuid_parse(const char *uuid, char *name, size_t name_len,
		   int *layer, enum dms_type *type, int *vdisk);

/* Table parameters of one layer over <dev> at <offset> (one per target). */
int dms_table_linear(const struct dms_layer *l, const char *dev,
		     uint64_t offset, char *buf, size_t len);
int dms_table_faultinj(const struct dms_layer *l, const char *dev,
		       uint64_t offset, char *buf, size_t len);
int dms_table_flakey(const struct dms_layer *l, const char *dev,
		     uint64_t offset, char *buf, size_t len);
int dms_table_delay(const struct dms_layer *l, const char *dev,
		    uint64_t offset, char *buf, size_t len);
int dms_table_noorder(const struct dms_layer *l, const char *dev,
		      uint64_t offset, char *buf, size_t len);
uint64_t dms_subsist_vdisk_sectors(const struct dms_layer *l,
				   uint64_t dev_sectors);
int dms_table_subsist_pool(const struct dms_layer *l, const char *dev,
			   uint64_t dev_sectors, char *buf, size_t len);

#endif /* DMSTACK_SPEC_H */
