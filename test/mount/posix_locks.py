# POSIX record locks as close() releases them, run in the current
# directory: the mount must give what a local file system gives
# (vmrpc-mount answers most flushes itself: mount/mount_lockers.c).
import fcntl, os

def child_can_lock(path):
    pid = os.fork()
    if pid == 0:
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os._exit(0)
        except OSError:
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0

fd1 = os.open("lk", os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd1, fcntl.LOCK_EX)
print("locked, child can lock:", child_can_lock("lk"))
fd2 = os.open("lk", os.O_RDONLY)
os.close(fd2)  # any close of the file releases the process's locks
print("after closing another fd, child can lock:", child_can_lock("lk"))
fcntl.lockf(fd1, fcntl.LOCK_EX)
os.close(os.open("other", os.O_RDWR | os.O_CREAT, 0o644))  # another file: no effect
print("after closing another file, child can lock:", child_can_lock("lk"))
os.close(fd1)
print("after close, child can lock:", child_can_lock("lk"))
# many locked files (the server keeps 256 lock owners): every lock still
# goes with its file's close
fds = []
for i in range(250):
    fd = os.open("many%d" % i, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    fds.append(fd)
print("250 locked, child can lock the last:", child_can_lock("many249"))
for fd in fds:
    os.close(fd)
print("250 closed, child can lock each:",
      all(child_can_lock("many%d" % i) for i in range(0, 250, 7)))
