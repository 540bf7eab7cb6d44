package io.corio.bench.compare

import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.function.Consumer
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExecutorCoroutineDispatcher
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * kotlinx.coroutines, the JVM peer: each request is a coroutine launched on a
 * single-threaded dispatcher (one loop, as a corio AioContext is), and each step's blocking
 * call runs in `withContext` on a dispatcher for blocking work: `Dispatchers.IO` (64
 * platform threads, the peer of corio-in-worker) when [virtualIo] is false, else a
 * dispatcher of one new virtual thread per call (the peer of corio-blocking). The loop is
 * a platform thread, as `newSingleThreadContext` makes it.
 */
class KotlinStyle(virtualIo: Boolean, private val steps: Int, private val stepNanos: Long) : Style {

    private val loop: ExecutorCoroutineDispatcher =
        Executors.newSingleThreadExecutor(Thread.ofPlatform().name("kotlin-loop").daemon().factory())
            .asCoroutineDispatcher()
    private val virtualThreads: ExecutorService? = if (virtualIo) Executors.newVirtualThreadPerTaskExecutor() else null
    private val io: CoroutineDispatcher = virtualThreads?.asCoroutineDispatcher() ?: Dispatchers.IO
    private val scope = CoroutineScope(SupervisorJob() + loop)

    override fun submit(r: Request, done: Consumer<Request>) {
        scope.launch {
            handle(r)
            done.accept(r)
        }
    }

    // loc-begin: kotlin
    suspend fun handle(r: Request) {
        for (step in 0 until steps) {
            val data = withContext(io) { Request.io(r.id, step, stepNanos) }
            r.acc = Request.fold(r.acc, data)
        }
    }
    // loc-end

    override fun close() {
        scope.cancel()
        loop.close()
        virtualThreads?.shutdown()
    }
}
