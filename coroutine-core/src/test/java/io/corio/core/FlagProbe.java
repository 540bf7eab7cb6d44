package io.corio.core;

/** Run in a child JVM by BackendFlagsTest: reports what each backend does without JVM flags. */
public final class FlagProbe {
    private FlagProbe() {}

    public static void main(String[] args) {
        for (String id : args) {
            try (AioContext ctx = AioContext.start("probe-" + id, Backend.fromId(id))) {
                int v = ctx.call(() -> {
                    Coroutine.sleep(java.time.Duration.ZERO);
                    return 1;
                });
                System.out.println(id + " -> " + ctx.backend().id() + " ok=" + (v == 1));
            } catch (IllegalStateException e) {
                System.out.println(id + " -> refused: " + e.getMessage());
            }
        }
    }
}
