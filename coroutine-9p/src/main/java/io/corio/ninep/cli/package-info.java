/** The {@code ./corio 9p} command line: {@link io.corio.ninep.cli.Main}. */
package io.corio.ninep.cli;
