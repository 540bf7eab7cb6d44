package io.corio.ninep.protocol;

/**
 * The 9P2000.L wire constants in one place: message type numbers, magic values, qid types,
 * bit masks and flags, header sizes and the limits this implementation enforces.
 *
 * <p>Sources: diod's {@code protocol.md} and the Linux kernel's {@code include/net/9p/9p.h}.
 * Unsigned 32-bit wire values are held in Java {@code int}s with the same bits, so
 * {@link #NOFID} is {@code -1}; 64-bit masks are {@code long}s.
 */
public final class P9 {
    private P9() {}

    /** The only protocol version this implementation speaks. */
    public static final String VERSION_9P2000_L = "9P2000.L";
    /** The version string a server answers when it speaks none of the client's versions. */
    public static final String VERSION_UNKNOWN = "unknown";

    // ---- magic values -------------------------------------------------------------------

    /** The tag of Tversion/Rversion, which live outside the tag space. */
    public static final int NOTAG = 0xFFFF;
    /** "No fid", e.g. the afid of an attach without authentication. */
    public static final int NOFID = 0xFFFF_FFFF;
    /** "No numeric user" in Tauth/Tattach: use the uname string instead. */
    public static final int NONUNAME = 0xFFFF_FFFF;

    // ---- message types (size[4] type[1] tag[2] ...) ---------------------------------------

    public static final int TLERROR = 6; // never sent; listed so the number is not reused
    public static final int RLERROR = 7;
    public static final int TSTATFS = 8;
    public static final int RSTATFS = 9;
    public static final int TLOPEN = 12;
    public static final int RLOPEN = 13;
    public static final int TLCREATE = 14;
    public static final int RLCREATE = 15;
    public static final int TSYMLINK = 16;
    public static final int RSYMLINK = 17;
    public static final int TMKNOD = 18;
    public static final int RMKNOD = 19;
    public static final int TRENAME = 20;
    public static final int RRENAME = 21;
    public static final int TREADLINK = 22;
    public static final int RREADLINK = 23;
    public static final int TGETATTR = 24;
    public static final int RGETATTR = 25;
    public static final int TSETATTR = 26;
    public static final int RSETATTR = 27;
    public static final int TXATTRWALK = 30;
    public static final int RXATTRWALK = 31;
    public static final int TXATTRCREATE = 32;
    public static final int RXATTRCREATE = 33;
    public static final int TREADDIR = 40;
    public static final int RREADDIR = 41;
    public static final int TFSYNC = 50;
    public static final int RFSYNC = 51;
    public static final int TLOCK = 52;
    public static final int RLOCK = 53;
    public static final int TGETLOCK = 54;
    public static final int RGETLOCK = 55;
    public static final int TLINK = 70;
    public static final int RLINK = 71;
    public static final int TMKDIR = 72;
    public static final int RMKDIR = 73;
    public static final int TRENAMEAT = 74;
    public static final int RRENAMEAT = 75;
    public static final int TUNLINKAT = 76;
    public static final int RUNLINKAT = 77;
    public static final int TVERSION = 100;
    public static final int RVERSION = 101;
    public static final int TAUTH = 102;
    public static final int RAUTH = 103;
    public static final int TATTACH = 104;
    public static final int RATTACH = 105;
    public static final int TERROR = 106; // 9P2000, not .L: never valid here
    public static final int RERROR = 107; // 9P2000, not .L: never valid here
    public static final int TFLUSH = 108;
    public static final int RFLUSH = 109;
    public static final int TWALK = 110;
    public static final int RWALK = 111;
    public static final int TREAD = 116;
    public static final int RREAD = 117;
    public static final int TWRITE = 118;
    public static final int RWRITE = 119;
    public static final int TCLUNK = 120;
    public static final int RCLUNK = 121;
    public static final int TREMOVE = 122;
    public static final int RREMOVE = 123;

    // ---- qid types ------------------------------------------------------------------------

    public static final int QTDIR = 0x80;
    public static final int QTAPPEND = 0x40;
    public static final int QTEXCL = 0x20;
    public static final int QTMOUNT = 0x10;
    public static final int QTAUTH = 0x08;
    public static final int QTTMP = 0x04;
    public static final int QTSYMLINK = 0x02;
    public static final int QTLINK = 0x01;
    public static final int QTFILE = 0x00;

    // ---- Tgetattr request_mask / Rgetattr valid ---------------------------------------------

    public static final long GETATTR_MODE = 0x0000_0001L;
    public static final long GETATTR_NLINK = 0x0000_0002L;
    public static final long GETATTR_UID = 0x0000_0004L;
    public static final long GETATTR_GID = 0x0000_0008L;
    public static final long GETATTR_RDEV = 0x0000_0010L;
    public static final long GETATTR_ATIME = 0x0000_0020L;
    public static final long GETATTR_MTIME = 0x0000_0040L;
    public static final long GETATTR_CTIME = 0x0000_0080L;
    public static final long GETATTR_INO = 0x0000_0100L;
    public static final long GETATTR_SIZE = 0x0000_0200L;
    public static final long GETATTR_BLOCKS = 0x0000_0400L;
    public static final long GETATTR_BTIME = 0x0000_0800L;
    public static final long GETATTR_GEN = 0x0000_1000L;
    public static final long GETATTR_DATA_VERSION = 0x0000_2000L;
    /** Every field up to and including BLOCKS: what stat(2) gives. */
    public static final long GETATTR_BASIC = 0x0000_07FFL;
    /** Every field above. */
    public static final long GETATTR_ALL = 0x0000_3FFFL;

    // ---- Tsetattr valid (the kernel's iattr ATTR_* bits) -------------------------------------

    public static final int SETATTR_MODE = 0x0001;
    public static final int SETATTR_UID = 0x0002;
    public static final int SETATTR_GID = 0x0004;
    public static final int SETATTR_SIZE = 0x0008;
    /** Set atime: to the sent value if {@link #SETATTR_ATIME_SET} is also set, else to now. */
    public static final int SETATTR_ATIME = 0x0010;
    /** Set mtime: to the sent value if {@link #SETATTR_MTIME_SET} is also set, else to now. */
    public static final int SETATTR_MTIME = 0x0020;
    public static final int SETATTR_CTIME = 0x0040;
    public static final int SETATTR_ATIME_SET = 0x0080;
    public static final int SETATTR_MTIME_SET = 0x0100;

    // ---- Tlock / Tgetlock / Rlock ----------------------------------------------------------

    public static final int LOCK_TYPE_RDLCK = 0;
    public static final int LOCK_TYPE_WRLCK = 1;
    public static final int LOCK_TYPE_UNLCK = 2;
    /** A blocking request (F_SETLKW); the client retries while the answer is BLOCKED. */
    public static final int LOCK_FLAGS_BLOCK = 1;
    public static final int LOCK_FLAGS_RECLAIM = 2;
    public static final int LOCK_SUCCESS = 0;
    public static final int LOCK_BLOCKED = 1;
    public static final int LOCK_ERROR = 2;
    public static final int LOCK_GRACE = 3;

    // ---- Tlopen / Tlcreate flags (Linux x86 open(2) bits, octal as in 9p.h) --------------------

    public static final int DOTL_RDONLY = 0;
    public static final int DOTL_WRONLY = 01;
    public static final int DOTL_RDWR = 02;
    public static final int DOTL_NOACCESS = 03;
    /** The access-mode bits of a flags word. */
    public static final int DOTL_ACCMODE = 03;
    public static final int DOTL_CREATE = 0100;
    public static final int DOTL_EXCL = 0200;
    public static final int DOTL_NOCTTY = 0400;
    public static final int DOTL_TRUNC = 01000;
    public static final int DOTL_APPEND = 02000;
    public static final int DOTL_NONBLOCK = 04000;
    public static final int DOTL_DSYNC = 010000;
    public static final int DOTL_FASYNC = 020000;
    public static final int DOTL_DIRECT = 040000;
    public static final int DOTL_LARGEFILE = 0100000;
    public static final int DOTL_DIRECTORY = 0200000;
    public static final int DOTL_NOFOLLOW = 0400000;
    public static final int DOTL_NOATIME = 01000000;
    public static final int DOTL_CLOEXEC = 02000000;
    public static final int DOTL_SYNC = 04000000;

    // ---- readdir entry types (Linux d_type) ------------------------------------------------

    public static final int DT_UNKNOWN = 0;
    public static final int DT_FIFO = 1;
    public static final int DT_CHR = 2;
    public static final int DT_DIR = 4;
    public static final int DT_BLK = 6;
    public static final int DT_REG = 8;
    public static final int DT_LNK = 10;
    public static final int DT_SOCK = 12;

    /** Tunlinkat flags: remove a directory (rmdir) rather than a file. */
    public static final int AT_REMOVEDIR = 0x200;

    /** Txattrcreate flags (setxattr(2)): fail if the attribute exists. */
    public static final int XATTR_CREATE = 1;
    /** Txattrcreate flags (setxattr(2)): fail if the attribute does not exist. */
    public static final int XATTR_REPLACE = 2;
    /** The largest xattr value (Linux XATTR_SIZE_MAX): a larger Txattrcreate size is E2BIG. */
    public static final int XATTR_SIZE_MAX = 65536;

    // ---- sizes ----------------------------------------------------------------------------

    /** size[4] type[1] tag[2]: the smallest possible frame. */
    public static final int HEADER_SIZE = 7;
    /** type[1] version[4] path[8]. */
    public static final int QID_SIZE = 13;
    /** The Linux client's room for a Twrite/Rread header: msize - IOHDRSZ is its largest I/O. */
    public static final int IOHDRSZ = 24;
    /** The Linux client's room for an Rreaddir header. */
    public static final int READDIRHDRSZ = 24;
    /** Exact header of Rread and Rreaddir: size[4] type[1] tag[2] count[4]. */
    public static final int RREAD_HEADER_SIZE = 11;
    /** Exact header of Twrite: size[4] type[1] tag[2] fid[4] offset[8] count[4]. */
    public static final int TWRITE_HEADER_SIZE = 23;
    /** Fixed part of one readdir entry: qid[13] offset[8] type[1] name_len[2]. */
    public static final int DIRENT_HEADER_SIZE = 24;

    // ---- limits ---------------------------------------------------------------------------

    /** Smallest msize a server should accept in Tversion. */
    public static final int MIN_MSIZE = 4096;
    /** Largest msize this implementation ever negotiates: the cap on every frame. */
    public static final int MAX_MSIZE = 16 * 1024 * 1024;
    /** At most this many names in a Twalk and qids in an Rwalk. */
    public static final int MAX_WALK_ELEMENTS = 16;
    /** The longest string the wire can carry: its length prefix is 16 bits. */
    public static final int MAX_STRING_BYTES = 0xFFFF;
}
