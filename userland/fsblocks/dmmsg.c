// SPDX-License-Identifier: GPL-2.0-only
/*
 * fsblocks: the faultinj device it loads a map into, through the shared
 * libdevmapper wrapper (userland/lib/dmmsg.c).  Each function returns 0,
 * or -1 after printing why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmmsg.h"
#include "fsblocks.h"

#define FSB_DM_TARGET	"faultinj"
#define FSB_DM_DEFAULT_BLOCK_SIZE	4096

/*
 * Finds block_size in a faultinj table line:
 * "<dev> <offset> [<#features> [seed <n>] [block_size <bytes>]]".
 */
static int fsb_dm_parse_params(const char *dev, const char *params,
			       unsigned int *block_size)
{
	char *copy, *tok, *save = NULL, *end;
	unsigned long val;
	int i, ret = -1;

	*block_size = FSB_DM_DEFAULT_BLOCK_SIZE;
	copy = strdup(params);
	if (!copy)
		return -1;
	/* Skip <dev>, <offset> and <#features>. */
	tok = strtok_r(copy, " ", &save);
	for (i = 0; tok && i < 2; i++)
		tok = strtok_r(NULL, " ", &save);
	for (; tok; tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "block_size"))
			continue;
		tok = strtok_r(NULL, " ", &save);
		errno = 0;
		val = tok ? strtoul(tok, &end, 10) : 0;
		if (!tok || errno || *end || val < 512 || val > 65536 ||
		    (val & (val - 1))) {
			fprintf(stderr, "%s: %s: cannot read block_size in its table \"%s\"\n",
				FSB_PROG, dev, params);
			goto out;
		}
		*block_size = val;
		break;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

int fsb_dm_inspect(const char *dev, struct fsb_dm_target *tgt)
{
	struct dmm_target t;
	char err[512];
	int ret;

	if (dmm_target(dev, 0, &t, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", FSB_PROG, err);
		return -1;
	}
	if (strcmp(t.type, FSB_DM_TARGET)) {
		fprintf(stderr, "%s: %s: the target is \"%s\", not \"%s\"\n",
			FSB_PROG, dev, t.type, FSB_DM_TARGET);
		free(t.params);
		return -1;
	}
	tgt->sectors = t.length;
	ret = fsb_dm_parse_params(dev, t.params ? t.params : "",
				  &tgt->block_size);
	free(t.params);
	return ret;
}

/*
 * Sends @msg to sector 0 of @dev.  If @response is not NULL it receives
 * the target's reply (malloc'd, NULL when there is none).
 */
int fsb_dm_message(const char *dev, const char *msg, char **response)
{
	char err[512], *reply = NULL;

	if (response)
		*response = NULL;
	if (dmm_message(dev, msg, &reply, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", FSB_PROG, err);
		return -1;
	}
	if (response && *reply)
		*response = reply;
	else
		free(reply);
	return 0;
}
