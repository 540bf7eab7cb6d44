package io.corio.bench.compare

import java.util.concurrent.Executors
import kotlinx.coroutines.ExecutorCoroutineDispatcher
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.yield

/**
 * kotlinx.coroutines' `Mutex` and `Channel` in the shapes of corio's `MutexBench` and
 * `QueueBench` (package `io.corio.bench.primitives`), on one single-threaded dispatcher as
 * corio's run on one context. Each call runs its whole loop on the dispatcher's thread, so
 * the caller's hand-off to it is paid once per call, not per operation.
 */
class KotlinPeers : AutoCloseable {

    private val loop: ExecutorCoroutineDispatcher =
        Executors.newSingleThreadExecutor(Thread.ofPlatform().name("kotlin-peers").daemon().factory())
            .asCoroutineDispatcher()

    /** One coroutine locks and unlocks [ops] times; returns how often it held the lock. */
    fun mutexUncontended(ops: Int): Int = runBlocking(loop) {
        val m = Mutex()
        var held = 0
        repeat(ops) {
            m.lock()
            held++
            m.unlock()
        }
        held
    }

    /**
     * [n] coroutines each lock, `yield()` (let the others run, so they queue on the mutex)
     * and unlock, [ops] locks in all, as `MutexBench.contended` does with a reschedule.
     */
    fun mutexContended(n: Int, ops: Int): Int = runBlocking(loop) {
        val m = Mutex()
        var held = 0 // guarded by m
        val jobs = List(n) {
            launch {
                repeat(ops / n) {
                    m.lock()
                    held++
                    yield()
                    m.unlock()
                }
            }
        }
        jobs.forEach { it.join() }
        check(held == ops) { "mutex held $held times, expected $ops" }
        held
    }

    /**
     * Two coroutines pass a turn back and forth through two rendezvous channels, [ops] turns
     * in all: the peer of `QueueBench.pingPong` (a CoQueue under a CoMutex).
     */
    fun channelPingPong(ops: Int): Int = runBlocking(loop) {
        val toPong = Channel<Int>()
        val toPing = Channel<Int>()
        val pong = launch {
            repeat(ops / 2) { toPing.send(toPong.receive() + 1) }
        }
        var turns = 0
        repeat(ops / 2) {
            toPong.send(turns + 1)
            turns = toPing.receive()
        }
        pong.join()
        check(turns == ops) { "ping-pong took $turns turns, expected $ops" }
        turns
    }

    override fun close() {
        loop.close()
    }
}
