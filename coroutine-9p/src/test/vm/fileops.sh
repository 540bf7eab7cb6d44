# Ordinary file operations on corio exports mounted by the Linux kernel's v9fs, run inside the
# guest of tools/linux-vm by KernelMountTest. The test prepends EXPORTS="..." (anames to mount)
# and LOCKED_EXPORT (an export whose file "held" the host keeps write-locked over 9P).
# Prints "ok NAME" or "FAIL NAME: output" per step and "result KEY VALUE" lines for the host to
# check, and exits with the number of failed steps.
fails=0

step() {
  name=$1
  shift
  if out=$("$@" 2>&1); then
    echo "ok $name"
  else
    echo "FAIL $name: $out"
    fails=$((fails + 1))
  fi
}

expect() { # expect WANT COMMAND...: the command's output must be exactly WANT
  want=$1
  shift
  got=$("$@" 2>&1) || { echo "exit $?: $got"; return 1; }
  [ "$got" = "$want" ] || { echo "want '$want', got '$got'"; return 1; }
}

t_mkdir() { mkdir -p a/b/c trash/x/y many && [ -d a/b/c ]; }
t_write() { echo hello > a/hello.txt && expect hello cat a/hello.txt; }
t_big() {
  dd if=/dev/urandom of=big bs=1M count=8 2>/dev/null && cp big big.copy && cmp big big.copy
}
t_mv() { mv big.copy a/b/moved && [ ! -e big.copy ] && cmp big a/b/moved; }
t_symlink() { ln -s hello.txt a/link && expect hello.txt readlink a/link && expect hello cat a/link; }
t_hardlink() {
  ln a/hello.txt a/hard || return 1
  expect "$(stat -c %i a/hello.txt)" stat -c %i a/hard && expect 2 stat -c %h a/hello.txt
}
t_chmod() { chmod 0640 a/hello.txt && expect 640 stat -c %a a/hello.txt; }
t_chown() { chown 1234:5678 a/hello.txt && expect 1234:5678 stat -c %u:%g a/hello.txt; }
t_touch() { touch -t 200102030405.06 a/hello.txt && expect 981173106 stat -c %Y a/hello.txt; }
t_truncate() {
  truncate -s 100000 a/sparse && expect 100000 stat -c %s a/sparse &&
    truncate -s 3 a/sparse && expect 3 stat -c %s a/sparse
}
t_mkfifo() { mkfifo a/fifo && [ -p a/fifo ]; }
t_df() { blocks=$(df -k . | tail -1 | awk '{print $2}') && [ "$blocks" -gt 0 ]; }
t_readdir() {
  for i in $(seq 300); do : > many/f$i || return 1; done
  expect 300 sh -c 'ls many | wc -l'
}
t_unlinked_fd() { exec 3> a/gone && rm a/gone && echo still-writable >&3 && exec 3>&-; }
t_rename_dir() { mkdir -p d1/sub && echo x > d1/sub/f && mv d1 d2 && expect x cat d2/sub/f && [ ! -e d1 ]; }
t_rm_r() { echo 1 > trash/x/y/f && ln -s f trash/x/y/l && rm -r trash && [ ! -e trash ]; }
t_flock() { flock -n a/lockf -c true && flock a/lockf -c true; }
t_flock_conflict() { # the host holds a write lock on "held": a non-blocking flock must fail
  if flock -n held -c true; then echo "flock got a lock the host holds"; return 1; fi
}
t_xattr() {
  setfattr -n user.color -v blue a/hello.txt &&
    expect blue getfattr --only-values -n user.color a/hello.txt &&
    setfattr -x user.color a/hello.txt &&
    ! getfattr -n user.color a/hello.txt 2>/dev/null
}
t_xattr_keep() { setfattr -n user.kept -v green a/b/moved; }

for export in $EXPORTS; do
  m=/mnt/$export
  mkdir -p "$m"
  step "$export mount" mount -t 9p -o "trans=tcp,port=$PORT,version=9p2000.L,msize=1048576,aname=$export" "$SERVER" "$m"
  mkdir -p "$m/work" && cd "$m/work" || { fails=$((fails + 1)); continue; }
  for t in mkdir write big mv symlink hardlink chmod chown touch truncate mkfifo df readdir \
           unlinked_fd rename_dir rm_r flock xattr xattr_keep; do
    step "$export $t" "t_$t"
  done
  echo "result big-sha256 $(sha256sum big | cut -d' ' -f1)"
  if [ "$export" = "$LOCKED_EXPORT" ]; then
    cd "$m" && step "$export flock_conflict" t_flock_conflict
  fi
  cd /
  step "$export ls" ls -lR "$m/work/a"
  step "$export umount" umount "$m"
done
echo "result fails $fails"
exit $fails
