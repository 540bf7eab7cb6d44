package io.corio.ninep.fs;

import java.util.Locale;

/**
 * How a {@linkplain Backend#local local back end} records the owner, group, mode and device
 * number that clients ask for, as in QEMU's {@code security_model} option.
 */
public enum SecurityModel {
    /**
     * Files get the client's uid, gid and mode on the host; device nodes are real. Changing the
     * owner needs privilege: an unprivileged server answers {@code EPERM}, honestly.
     */
    PASSTHROUGH("passthrough"),
    /**
     * Client ownership lives in extended attributes {@code user.virtfs.uid}, {@code .gid},
     * {@code .mode} and {@code .rdev} (little-endian u32, u32, u32, u64, as QEMU writes them);
     * on the host, files are the server's, with modes 0600 (0700 for directories); symlinks and
     * device nodes are regular files holding the target text or nothing. An unprivileged server
     * can so serve a root client. Needs a host file system with {@code user.*} xattrs.
     */
    MAPPED_XATTR("mapped-xattr"),
    /** Like {@link #PASSTHROUGH}, but a failing change of owner is ignored, not reported. */
    NONE("none");

    private final String optionName;

    SecurityModel(String optionName) {
        this.optionName = optionName;
    }

    /** The name used on command lines: {@code passthrough}, {@code mapped-xattr}, {@code none}. */
    public String optionName() {
        return optionName;
    }

    /**
     * The model called {@code name} on a command line ({@code mapped} is accepted for
     * {@code mapped-xattr}, as QEMU does).
     *
     * @throws IllegalArgumentException naming the value and the choices
     */
    public static SecurityModel parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (SecurityModel m : values()) {
            if (m.optionName.equals(n)) {
                return m;
            }
        }
        if (n.equals("mapped")) {
            return MAPPED_XATTR;
        }
        throw new IllegalArgumentException("unknown security model '" + name
                + "': use passthrough, mapped-xattr or none");
    }

    @Override
    public String toString() {
        return optionName;
    }
}
