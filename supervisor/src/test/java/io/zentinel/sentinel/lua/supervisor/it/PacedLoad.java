package io.zentinel.sentinel.lua.supervisor.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Steady load as the proxy makes it: RequestHeaders events for {@code GET /api/users?id=<n>} with
 * an Authorization header, sent round robin over several pipelined connections at a fixed rate,
 * each connection holding at most a window of events in flight. Records when each event was
 * sent and answered.
 */
final class PacedLoad {

    /** One event: its correlation id, when it was sent and answered, and the answer. */
    record Answer(String id, long sentNanos, long answeredNanos, JsonNode response) {
        long latencyNanos() {
            return answeredNanos - sentNanos;
        }
    }

    /**
     * What a run measured.
     *
     * @param longestGapNanos    the longest time between two consecutive answers (by arrival)
     * @param longestGapEndNanos when the answer that ended that gap arrived
     */
    record Figures(int answers, double seconds, long longestGapNanos, long longestGapEndNanos, long p50Nanos,
                   long p99Nanos, long maxLatencyNanos) {
        @Override
        public String toString() {
            return String.format("%d answers in %.1f s; longest gap between answers %.1f ms; latency p50 %.1f ms,"
                    + " p99 %.1f ms, max %.1f ms", answers, seconds, longestGapNanos / 1e6, p50Nanos / 1e6,
                    p99Nanos / 1e6, maxLatencyNanos / 1e6);
        }
    }

    private PacedLoad() {
    }

    static String request(String id) {
        return FakeProxy.requestHeaders(id, "GET", "/api/users?id=" + id,
                Map.of("host", List.of("example.com"), "authorization", List.of("Bearer t0ken")));
    }

    /**
     * Sends {@code total} events at {@code perSecond} over {@code proxies} (ids {@code <prefix>-<n>}),
     * each connection holding at most {@code window} in flight, and waits up to {@code wait} for
     * every answer.
     */
    static List<Answer> run(List<FakeProxy> proxies, String prefix, int total, int perSecond, int window,
                            Duration wait) throws Exception {
        List<Semaphore> windows = proxies.stream().map(p -> new Semaphore(window)).toList();
        List<CompletableFuture<Answer>> answers = new ArrayList<>(total);
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long begin = System.nanoTime();
        for (int n = 0; n < total; n++) {
            long due = begin + n * interval;
            for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
                LockSupport.parkNanos(due - now);
            }
            int connection = n % proxies.size();
            Semaphore slots = windows.get(connection);
            if (!slots.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("connection " + connection + " had " + window + " events unanswered for " + wait);
            }
            String id = prefix + "-" + n;
            long sent = System.nanoTime();
            answers.add(proxies.get(connection).request(request(id)).handle((response, error) -> {
                long answered = System.nanoTime();
                slots.release();
                if (error != null) {
                    throw new IllegalStateException(id + " not answered", error);
                }
                return new Answer(id, sent, answered, response);
            }));
        }
        List<Answer> done = new ArrayList<>(total);
        for (CompletableFuture<Answer> answer : answers) {
            done.add(answer.get(wait.toNanos(), TimeUnit.NANOSECONDS));
        }
        return done;
    }

    static Figures figures(List<Answer> answers) {
        List<Answer> byArrival = answers.stream().sorted(Comparator.comparingLong(Answer::answeredNanos)).toList();
        long gap = 0;
        long gapEnd = 0;
        for (int i = 1; i < byArrival.size(); i++) {
            long g = byArrival.get(i).answeredNanos() - byArrival.get(i - 1).answeredNanos();
            if (g > gap) {
                gap = g;
                gapEnd = byArrival.get(i).answeredNanos();
            }
        }
        long[] latencies = answers.stream().mapToLong(Answer::latencyNanos).sorted().toArray();
        long first = answers.stream().mapToLong(Answer::sentNanos).min().orElse(0);
        long last = byArrival.getLast().answeredNanos();
        return new Figures(answers.size(), (last - first) / 1e9, gap, gapEnd,
                latencies[latencies.length / 2], latencies[(int) Math.min(latencies.length - 1, latencies.length * 0.99)],
                latencies[latencies.length - 1]);
    }

    /** The failure causes an answer carries ({@code lua-agent:<cause>} audit tags), empty for a script's own verdict. */
    static List<String> failureTags(JsonNode response) {
        List<String> tags = new ArrayList<>();
        response.at("/audit/tags").forEach(tag -> {
            if (tag.asText().startsWith("lua-agent:")) {
                tags.add(tag.asText());
            }
        });
        return tags;
    }
}
