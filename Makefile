# SPDX-License-Identifier: GPL-2.0-only
#
#   make            modules (W=1) and userland
#   make check      host unit tests + VM cases; T=<area> runs a subset
#   make demo       build, boot the VM, power cuts on dm-faultinj (ext4 vs ext2),
#                   then ext4 on dm-noorder with flushes honoured or ignored
#   make bench      benchmarks: fio in the VM (ratios to dm-linear, same boot), crash states per minute
#   make sparse     modules under sparse (C=2)
#   KDIR=<tree>     build against another kernel tree (default: scripts/kdir)

KDIR ?= $(shell $(CURDIR)/scripts/kdir)
KVER ?= $(shell KDIR=$(KDIR) $(CURDIR)/scripts/kdir -r)
W ?= 1
export KDIR KVER

.PHONY: all modules userland unit sparse check demo bench setup clean

all: modules userland

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

userland:
	$(MAKE) -C userland

unit:
	$(MAKE) -C tests/unit

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CHECK=sparse modules

setup:
	@scripts/setup

# The targets below run scripts/setup first, then a fresh make, so that
# KDIR is looked up only once the kernel headers are installed.
check: setup
	@$(MAKE) --no-print-directory _check

_check:
	@tests/check $(foreach t,$(T),-T $(t))

demo: setup
	@$(MAKE) --no-print-directory all
	@tests/demo/run

bench: setup
	@$(MAKE) --no-print-directory all
	@bench/run

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userland clean
	$(MAKE) -C tests/unit clean
	rm -rf tests/vm/out bench/out
