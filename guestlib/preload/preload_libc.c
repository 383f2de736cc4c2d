/* SPDX-License-Identifier: MIT */
/*
 * The table of libc's own functions (preload_libc.h): every name the shim
 * defines and also passes on, looked up once with dlsym(RTLD_NEXT), the
 * definition after the shim's.
 */
#include <dlfcn.h>

#include "preload_libc.h"

struct preload_libc preload_libc;
bool preload_libc_ready;

void preload_libc_resolve(void)
{
	struct preload_libc *l = &preload_libc;

#define RESOLVE(name) l->name = dlsym(RTLD_NEXT, #name)
	RESOLVE(open); RESOLVE(openat); RESOLVE(close); RESOLVE(close_range); RESOLVE(dup);
	RESOLVE(dup2); RESOLVE(dup3); RESOLVE(fcntl); RESOLVE(flock);

	RESOLVE(read); RESOLVE(write); RESOLVE(pread); RESOLVE(pwrite); RESOLVE(readv);
	RESOLVE(writev); RESOLVE(lseek); RESOLVE(copy_file_range); RESOLVE(sendfile);
	RESOLVE(posix_fadvise); RESOLVE(fsync); RESOLVE(fdatasync); RESOLVE(ftruncate);
	RESOLVE(truncate); RESOLVE(fallocate); RESOLVE(posix_fallocate);

	RESOLVE(fstat); RESOLVE(fstatat); RESOLVE(statx); RESOLVE(statfs); RESOLVE(fstatfs);
	RESOLVE(statvfs); RESOLVE(fstatvfs); RESOLVE(faccessat);

	RESOLVE(renameat2); RESOLVE(unlinkat); RESOLVE(remove); RESOLVE(mkdirat); RESOLVE(linkat);
	RESOLVE(symlinkat); RESOLVE(readlinkat); RESOLVE(realpath); RESOLVE(__realpath_chk);

	RESOLVE(fchmodat); RESOLVE(fchmod); RESOLVE(lchmod); RESOLVE(fchownat); RESOLVE(fchown);
	RESOLVE(utimensat); RESOLVE(futimens);

	RESOLVE(getxattr); RESOLVE(lgetxattr); RESOLVE(fgetxattr); RESOLVE(setxattr);
	RESOLVE(lsetxattr); RESOLVE(fsetxattr); RESOLVE(listxattr); RESOLVE(llistxattr);
	RESOLVE(flistxattr); RESOLVE(removexattr); RESOLVE(lremovexattr); RESOLVE(fremovexattr);

	RESOLVE(opendir); RESOLVE(fdopendir); RESOLVE(readdir); RESOLVE(readdir64);
	RESOLVE(closedir); RESOLVE(dirfd); RESOLVE(rewinddir); RESOLVE(chdir); RESOLVE(fchdir);
	RESOLVE(getcwd);

	RESOLVE(fopen); RESOLVE(fdopen); RESOLVE(fileno); RESOLVE(fileno_unlocked);

	RESOLVE(fork); RESOLVE(execve); RESOLVE(execvpe);

	RESOLVE(setuid); RESOLVE(seteuid); RESOLVE(setreuid); RESOLVE(setresuid);
	RESOLVE(setgid); RESOLVE(setegid); RESOLVE(setregid); RESOLVE(setresgid);
	RESOLVE(setgroups); RESOLVE(setfsuid); RESOLVE(setfsgid);
#undef RESOLVE
	__atomic_store_n(&preload_libc_ready, true, __ATOMIC_RELEASE);
}
