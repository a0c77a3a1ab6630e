// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/vmar_race, served the way fs/proc/base.c serves /proc/<pid>: a small
 * filesystem of the module's own, mounted on a procfs mount point, in which
 * nothing exists per pproc until someone looks it up. It knows its core
 * only through fs.h, so the Rust twin links it too (/proc/vmar_race_rs,
 * filesystem type vmar_race_rs): both modules' names are KBUILD_MODNAME.
 *
 * - The root's lookup resolves "<pid>" in the registry; its readdir lists
 *   the published (live and zombie) pids in pid order from f_pos = pid + 2,
 *   as proc_pid_readdir() does, so concurrent spawns and reaps never make it
 *   repeat a pid.
 * - Inode numbers are computed, not allocated: the root is 1, and a pproc's
 *   directory and files are (serial << 2) + 0, 1, 2, so readdir's d_ino is
 *   the st_ino a lookup gives, and a reused pid gets other numbers.
 * - A pid directory's inode, and each file inode under it, holds a counted
 *   reference to the pproc (as Linux's inodes hold a struct pid), never its
 *   VMAR. The reference is a handle: every open and every read upgrades it
 *   again by checking that the pproc is not reaped (-ESRCH if it is), then
 *   reaches the VMAR only through the mode's read path. A reused pid is
 *   another pproc, so a stale handle never shows the new one.
 * - Who may read what, as task_dump_owner() and proc_pid_permission(): the
 *   pproc's current euid and egid (the spawner's until SETIDS) own a pid's
 *   inodes, and root a zombie's files (its directory stays the pproc's);
 *   status is 0444; maps is 0444 and its open checks the reader against
 *   the pproc's credentials while it runs (the core's maps open: render.c's
 *   vr_may_read_vmar(), glue.c's in the twin). Mode changes are refused
 *   (-EPERM), owner changes last until the next revalidation, as in procfs.
 * - Dentries revalidate like pid_revalidate(): one whose pproc is reaped is
 *   invalid, and dropped at its last dput() (pid_delete_dentry()); the reap
 *   ioctl flushes the pid's dentries at once (vr_fs_flush_pid(), like
 *   proc_flush_pid()). Evicting an inode drops its pproc reference.
 */
#include "fs.h"

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>

#define VR_FS_ROOT_INO	1

/* A pproc's inode numbers: its directory (0) and its files (1 + index). */
static ino_t vr_fs_ino(const struct vr_pproc *pp, unsigned int kind)
{
	return (vr_pproc_serial(pp) << 2) + kind;
}

/* task_dump_owner() (the core's), and root's for the root. */
static void vr_fs_update_owner(struct inode *inode)
{
	struct vr_pproc *pp = inode->i_private;
	kuid_t uid = GLOBAL_ROOT_UID;
	kgid_t gid = GLOBAL_ROOT_GID;

	if (pp)
		vr_pproc_dump_owner(pp, S_ISDIR(inode->i_mode), &uid, &gid);

	/*
	 * Every path walk revalidates, the owner rarely changes (SETIDS,
	 * exit): compare without a lock; a change is written under i_lock,
	 * marked, as concurrent revalidations and the VFS read it unlocked
	 * (a benign race procfs has too: pid_update_inode()).
	 */
	if (uid_eq(READ_ONCE(inode->i_uid), uid) && gid_eq(READ_ONCE(inode->i_gid), gid))
		return;
	spin_lock(&inode->i_lock);
	WRITE_ONCE(inode->i_uid, uid);
	WRITE_ONCE(inode->i_gid, gid);
	spin_unlock(&inode->i_lock);
}

/* A new inode that owns the caller's reference to pp (NULL for the root). */
static struct inode *vr_fs_inode(struct super_block *sb, umode_t mode,
				 struct vr_pproc *pp, unsigned int kind)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = pp ? vr_fs_ino(pp, kind) : VR_FS_ROOT_INO;
	inode->i_mode = mode;
	vr_inode_init_ts(inode);
	inode->i_private = pp;
	vr_fs_update_owner(inode);
	return inode;
}

/* proc_setattr(): no mode changes; an owner change lasts until revalidation. */
static int vr_fs_setattr(struct vr_idmap *idmap, struct dentry *dentry,
			 struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int ret;

	if (attr->ia_valid & ATTR_MODE)
		return -EPERM;
	ret = setattr_prepare(idmap, dentry, attr);
	if (ret)
		return ret;
	setattr_copy(idmap, inode, attr);
	return 0;
}

/*
 * Give dentry a new inode that owns the caller's reference to pp (dropped
 * here on failure): a pid directory (iops set) or one of its files.
 */
static const struct inode_operations vr_fs_file_iops = {
	.setattr = vr_fs_setattr,
};

static struct dentry *vr_fs_instantiate(struct dentry *dentry, struct vr_pproc *pp,
					unsigned int kind,
					const struct inode_operations *iops,
					const struct file_operations *fops)
{
	struct inode *inode = vr_fs_inode(dentry->d_sb,
					  kind ? S_IFREG | 0444 : S_IFDIR | 0555,
					  pp, kind);

	if (!inode) {
		vr_pproc_put(pp);
		return ERR_PTR(-ENOMEM);
	}
	inode->i_op = iops;
	if (!kind)
		set_nlink(inode, 2);
	inode->i_fop = fops;
	return d_splice_alias(inode, dentry);
}

static void vr_fs_evict_inode(struct inode *inode)
{
	struct vr_pproc *pp = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (pp)
		vr_pproc_put(pp);
}

/*
 * pid_revalidate(): a dentry of a reaped pproc is stale; a live one gets
 * its owner back. RCU-walk safe: the inode's pproc reference keeps pp.
 */
static int vr_fs_d_revalidate(VR_D_REVALIDATE_ARGS)
{
	struct inode *inode = d_inode_rcu(dentry);
	struct vr_pproc *pp;

	if (!inode)
		return flags & LOOKUP_RCU ? -ECHILD : 0;
	pp = inode->i_private;
	if (pp && vr_pproc_gone(pp))
		return 0;
	vr_fs_update_owner(inode);
	return 1;
}

/* pid_delete_dentry(): do not keep a reaped pproc's dentries cached. */
static int vr_fs_d_delete(const struct dentry *dentry)
{
	struct vr_pproc *pp = d_inode(dentry) ? d_inode(dentry)->i_private : NULL;

	return pp && vr_pproc_gone(pp);
}

static const struct dentry_operations vr_fs_dops = {
	.d_revalidate = vr_fs_d_revalidate,
	.d_delete = vr_fs_d_delete,
};

/* ---- /proc/vmar_race/<pid>/ ---- */

static const struct vr_fs_entry {
	const char *name;
	const struct file_operations *fops;
} vr_fs_entries[] = {
	{ "status", &vr_status_fops },
	{ "maps", &vr_maps_fops },
};

static struct dentry *vr_fs_pid_lookup(struct inode *dir, struct dentry *dentry,
				       unsigned int flags)
{
	struct vr_pproc *pp = dir->i_private;
	const struct vr_fs_entry *e = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vr_fs_entries); i++)
		if (!strcmp(dentry->d_name.name, vr_fs_entries[i].name))
			e = &vr_fs_entries[i];
	if (vr_pproc_gone(pp))
		return ERR_PTR(-ESRCH);	/* openat() through a held dir fd */
	if (!e)
		return ERR_PTR(-ENOENT);
	vr_pproc_get(pp);	/* the file inode's own handle */
	return vr_fs_instantiate(dentry, pp, 1 + (e - vr_fs_entries),
				 &vr_fs_file_iops, e->fops);
}

/* proc_pident_readdir(): -ENOENT once the pproc is reaped. */
static int vr_fs_pid_iterate(struct file *file, struct dir_context *ctx)
{
	struct vr_pproc *pp = file_inode(file)->i_private;
	unsigned int i;

	if (vr_pproc_gone(pp))
		return -ENOENT;
	if (!dir_emit_dots(file, ctx))
		return 0;
	for (i = ctx->pos - 2; i < ARRAY_SIZE(vr_fs_entries); i++) {
		const char *name = vr_fs_entries[i].name;

		if (!dir_emit(ctx, name, strlen(name), vr_fs_ino(pp, 1 + i), DT_REG))
			return 0;
		ctx->pos++;
	}
	return 0;
}

static const struct inode_operations vr_fs_pid_iops = {
	.lookup = vr_fs_pid_lookup,
	.setattr = vr_fs_setattr,
};

static const struct file_operations vr_fs_pid_fops = {
	.read = generic_read_dir,
	.iterate_shared = vr_fs_pid_iterate,
	.llseek = generic_file_llseek,
};

/* ---- /proc/vmar_race/ ---- */

static struct dentry *vr_fs_root_lookup(struct inode *dir, struct dentry *dentry,
					unsigned int flags)
{
	char canon[16];
	struct vr_pproc *pp;
	unsigned int pid;

	/* Only the canonical spelling: no "+5", "05" or "5\n" aliases. */
	if (kstrtouint(dentry->d_name.name, 10, &pid) || !pid ||
	    snprintf(canon, sizeof(canon), "%u", pid) != dentry->d_name.len ||
	    memcmp(canon, dentry->d_name.name, dentry->d_name.len))
		return ERR_PTR(-ENOENT);
	pp = vr_pproc_find(pid);
	if (!pp)
		return ERR_PTR(-ENOENT);
	if (vr_pproc_gone(pp)) {
		vr_pproc_put(pp);
		return ERR_PTR(-ENOENT);
	}
	return vr_fs_instantiate(dentry, pp, 0, &vr_fs_pid_iops, &vr_fs_pid_fops);
}

/* Published pids in pid order from ctx->pos - 2, like proc_pid_readdir(). */
static int vr_fs_root_iterate(struct file *file, struct dir_context *ctx)
{
	struct vr_pproc *pp;
	unsigned long pid;
	char name[16];
	bool emitted;
	int len;

	if (!dir_emit_dots(file, ctx))
		return 0;
	for (pid = ctx->pos - 2; (pp = vr_pproc_next(&pid)); pid++) {
		emitted = true;
		ctx->pos = pid + 2;
		if (!vr_pproc_gone(pp)) {	/* one being reaped is skipped */
			len = snprintf(name, sizeof(name), "%lu", pid);
			emitted = dir_emit(ctx, name, len, vr_fs_ino(pp, 0), DT_DIR);
		}
		vr_pproc_put(pp);
		if (!emitted)
			return 0;
	}
	ctx->pos = VR_PID_MAX + 2;
	return 0;
}

static const struct inode_operations vr_fs_root_iops = {
	.lookup = vr_fs_root_lookup,
	.setattr = vr_fs_setattr,
};

static const struct file_operations vr_fs_root_fops = {
	.read = generic_read_dir,
	.iterate_shared = vr_fs_root_iterate,
	.llseek = generic_file_llseek,
};

/* ---- the filesystem ---- */

static const struct super_operations vr_fs_sops = {
	.statfs = simple_statfs,
	.drop_inode = vr_drop_inode,	/* evict at the last iput() */
	.evict_inode = vr_fs_evict_inode,
};

/* The mounted tree (one, get_tree_single()), for vr_fs_flush_pid(). */
static DEFINE_SPINLOCK(vr_fs_sb_lock);
static struct super_block *vr_fs_sb;

static int vr_fs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;

	sb->s_magic = VMAR_RACE_FS_MAGIC;
	sb->s_op = &vr_fs_sops;
	vr_set_default_d_op(sb, &vr_fs_dops);
	sb->s_time_gran = 1;
	root = vr_fs_inode(sb, S_IFDIR | 0555, NULL, 0);
	if (!root)
		return -ENOMEM;
	root->i_op = &vr_fs_root_iops;
	root->i_fop = &vr_fs_root_fops;
	set_nlink(root, 2);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	spin_lock(&vr_fs_sb_lock);
	vr_fs_sb = sb;
	spin_unlock(&vr_fs_sb_lock);
	return 0;
}

static void vr_fs_kill_sb(struct super_block *sb)
{
	spin_lock(&vr_fs_sb_lock);
	if (vr_fs_sb == sb)
		vr_fs_sb = NULL;
	spin_unlock(&vr_fs_sb_lock);
	kill_anon_super(sb);
}

/**
 * vr_fs_flush_pid() - Drop a reaped pid's dentries now, like proc_flush_pid().
 * @pid: the pid; vr_pproc_reap() succeeded for it.
 *
 * The dentries go now, not when the dcache shrinks, and with them the
 * pproc references their inodes hold (open files keep theirs).
 *
 * Context: process context, no lock held; may sleep. Takes vr_fs_sb_lock.
 */
void vr_fs_flush_pid(pid_t pid)
{
	struct super_block *sb;
	struct dentry *dentry;
	char name[16];
	struct qstr q = QSTR_INIT(name, 0);

	spin_lock(&vr_fs_sb_lock);
	sb = vr_fs_sb;		/* set until kill_sb, which runs at s_active 0 */
	if (sb && !atomic_inc_not_zero(&sb->s_active))
		sb = NULL;
	spin_unlock(&vr_fs_sb_lock);
	if (!sb)
		return;
	q.len = snprintf(name, sizeof(name), "%d", pid);
	dentry = vr_dcache_lookup(sb->s_root, &q);
	if (!IS_ERR_OR_NULL(dentry)) {
		d_invalidate(dentry);
		dput(dentry);
	}
	deactivate_super(sb);
}

static int vr_fs_get_tree(struct fs_context *fc)
{
	return get_tree_single(fc, vr_fs_fill_super);	/* one tree, like binfmt_misc */
}

static const struct fs_context_operations vr_fs_context_ops = {
	.get_tree = vr_fs_get_tree,
};

static int vr_fs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &vr_fs_context_ops;
	return 0;
}

/* A mounted superblock pins the module: rmmod says "in use" until umount. */
static struct file_system_type vr_fs_type = {
	.owner = THIS_MODULE,
	.name = KBUILD_MODNAME,
	.init_fs_context = vr_fs_init_fs_context,
	.kill_sb = vr_fs_kill_sb,
};

static struct proc_dir_entry *vr_fs_mount_point;

/**
 * vr_fs_init() - Load: /proc/vmar_race, an empty mount point, and its
 * filesystem.
 *
 * Context: process context; may sleep. Registered last: from here on a
 * mount can pin the module.
 * Return: 0, -ENOMEM, or register_filesystem()'s error.
 */
int vr_fs_init(void)
{
	int ret;

	vr_fs_mount_point = proc_create_mount_point(KBUILD_MODNAME);
	if (!vr_fs_mount_point)
		return -ENOMEM;
	ret = register_filesystem(&vr_fs_type);
	if (ret)
		proc_remove(vr_fs_mount_point);
	return ret;
}

/**
 * vr_fs_exit() - Unload (not mounted: a mount pins the module), or a
 * failed load: unregister the filesystem, remove the mount point.
 *
 * Context: process context; may sleep.
 */
void vr_fs_exit(void)
{
	unregister_filesystem(&vr_fs_type);
	proc_remove(vr_fs_mount_point);
}
