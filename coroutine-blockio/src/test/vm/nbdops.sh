# Block I/O through the Linux kernel's NBD client (module nbd, attached by nbd-client) on corio
# exports, run inside the guest of tools/linux-vm by KernelClientTest. The test prepends
# EXPORTS="NAME:DEVICE:SIZE:CONNECTIONS:HOSTSUM ..." (raw block tests; HOSTSUM is the sha256 of
# the 2 MiB the host wrote at 16 MiB before the guest booted; with more than one connection the
# guest needs two CPUs, to write on two at once) and FS="NAME:DEVICE", an export
# the host formatted as ext4, to mount, fill, remount and trim.
# Prints "ok NAME" or "FAIL NAME: output" per step and "result KEY VALUE" lines for the host to
# check, and exits with the number of failed steps.
MIB=1048576
fails=0

step() {
  label=$1
  shift
  if out=$("$@" 2>&1); then
    echo "ok $label"
  else
    echo "FAIL $label: $out"
    fails=$((fails + 1))
  fi
}

expect() { # expect WANT COMMAND...: the command's output must be exactly WANT
  want=$1
  shift
  got=$("$@" 2>&1) || { echo "exit $?: $got"; return 1; }
  [ "$got" = "$want" ] || { echo "want '$want', got '$got'"; return 1; }
}

sum() { sha256sum "$1" | cut -d' ' -f1; }

quiet() { # runs a command, printing its output only when it fails
  o=$("$@" 2>&1) || { echo "$* failed: $o"; return 1; }
}

# get DEVICE OFFSET_MIB COUNT_MIB FILE [FLAG]: copy a range of the device into FILE
get() {
  quiet dd if="$1" of="$4" bs=1M skip="$2" count="$3" $5 &&
    expect $(($3 * MIB)) stat -c %s "$4"
}

t_connect() { nbd-client "$SERVER" "$PORT" "$dev" -N "$name" -b 4096 -C "$conns"; }
t_size() { expect "$size" blockdev --getsize64 "$dev"; }
t_read_host() { # the range the host wrote before the guest booted
  get "$dev" 16 2 /tmp/host iflag=direct && expect "$hostsum" sum /tmp/host
}
t_write() { # 8 MiB at 4 MiB, through the page cache, then fsync
  dd if=/dev/urandom of=/tmp/data bs=1M count=8 2>/dev/null &&
    quiet dd if=/tmp/data of="$dev" bs=1M seek=4 conv=notrunc,fsync
}
t_flush() { sync && blockdev --flushbufs "$dev"; }
t_read_direct() { get "$dev" 4 8 /tmp/back iflag=direct && cmp /tmp/data /tmp/back; }
t_read_cold() { # buffered, after dropping the page cache: the kernel reads ahead as it likes
  echo 3 > /proc/sys/vm/drop_caches && get "$dev" 4 8 /tmp/back && cmp /tmp/data /tmp/back
}
t_last_block() { # 4 KiB ending exactly at the end of the device, written with O_DIRECT
  dd if=/dev/urandom of=/tmp/tail bs=4096 count=1 2>/dev/null &&
    quiet dd if=/tmp/tail of="$dev" bs=4096 seek=$((size / 4096 - 1)) oflag=direct conv=notrunc &&
    quiet dd if="$dev" of=/tmp/tail.back bs=4096 skip=$((size / 4096 - 1)) iflag=direct &&
    cmp /tmp/tail /tmp/tail.back
}
t_discard() { # the first of the host's 2 MiB
  blkdiscard -o $((16 * MIB)) -l $MIB "$dev" && get "$dev" 16 1 /tmp/trimmed iflag=direct &&
    head -c $MIB /dev/zero | cmp - /tmp/trimmed
}
t_kept() { get "$dev" 17 1 /tmp/kept iflag=direct && tail -c $MIB /tmp/host | cmp - /tmp/kept; }
t_multi() { # with two CPUs, blk-mq sends each CPU's requests on its own connection
  expect 2 nproc && dd if=/dev/urandom of=/tmp/multi bs=1M count=8 2>/dev/null &&
    head -c $((4 * MIB)) /tmp/multi > /tmp/multi.0 && tail -c $((4 * MIB)) /tmp/multi > /tmp/multi.1 || return 1
  taskset 1 dd if=/tmp/multi.0 of="$dev" bs=1M seek=24 oflag=direct conv=notrunc 2>/tmp/multi.0.err &
  p0=$!
  taskset 2 dd if=/tmp/multi.1 of="$dev" bs=1M seek=28 oflag=direct conv=notrunc 2>/tmp/multi.1.err &
  p1=$!
  wait $p0; r0=$?
  wait $p1; r1=$?
  [ $r0 = 0 ] && [ $r1 = 0 ] || { cat /tmp/multi.*.err; return 1; }
  get "$dev" 24 8 /tmp/multi.back iflag=direct && cmp /tmp/multi /tmp/multi.back
}
t_disconnect() { nbd-client -d "$dev" && expect 0 blockdev --getsize64 "$dev"; }

t_fs_mount() { mkdir -p /mnt/fs && mount -t ext4 "$dev" /mnt/fs; }
t_fs_write() { # a big file and many small ones, as the journal and the page cache order them
  cp /tmp/data /mnt/fs/data && mkdir /mnt/fs/many || return 1
  for i in $(seq 300); do echo "file $i" > /mnt/fs/many/f$i || return 1; done
  sync
}
t_fs_remount() {
  umount /mnt/fs && echo 3 > /proc/sys/vm/drop_caches && mount -t ext4 "$dev" /mnt/fs &&
    cmp /tmp/data /mnt/fs/data && expect 300 sh -c 'ls /mnt/fs/many | wc -l' &&
    expect "file 123" cat /mnt/fs/many/f123
}
t_fs_trim() { # freed space goes back to the export as NBD_CMD_TRIM
  cp /tmp/data /mnt/fs/scratch && sync && rm /mnt/fs/scratch /mnt/fs/many/f2* && sync &&
    fstrim /mnt/fs && expect 189 sh -c 'ls /mnt/fs/many | wc -l'
}
t_fs_umount() { umount /mnt/fs; }

for e in $EXPORTS; do
  set -- $(echo "$e" | tr : ' ')
  name=$1 dev=$2 size=$3 conns=$4 hostsum=$5
  step "$name connect" t_connect
  for t in size read_host write flush read_direct read_cold last_block discard kept; do
    step "$name $t" "t_$t"
  done
  echo "result $name-data $(sum /tmp/data)"
  echo "result $name-tail $(sum /tmp/tail)"
  if [ "$conns" -gt 1 ]; then
    step "$name multi" t_multi
    echo "result $name-multi $(sum /tmp/multi)"
  fi
  step "$name disconnect" t_disconnect
done

if [ -n "$FS" ]; then
  set -- $(echo "$FS" | tr : ' ')
  name=$1 dev=$2 size= conns=1
  step "$name connect" t_connect
  for t in fs_mount fs_write fs_remount fs_trim; do
    step "$name $t" "t_$t"
  done
  echo "result $name-data $(sum /mnt/fs/data)"
  step "$name fs_umount" t_fs_umount
  step "$name disconnect" t_disconnect
fi
echo "result fails $fails"
exit $fails
