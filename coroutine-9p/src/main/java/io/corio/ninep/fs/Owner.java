package io.corio.ninep.fs;

/**
 * The numeric owner a new file gets: {@code uid} is the attaching user's (the fid's), {@code gid}
 * the one the client sent with the create request. Both are u32 values held as {@code int} bits.
 */
public record Owner(int uid, int gid) {}
