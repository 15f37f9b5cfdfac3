package io.jenkins.plugins.wrenn.api;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** Keeps every stream event in order, for tests. */
final class CollectingListener implements StreamListener {

    final List<String> events = new CopyOnWriteArrayList<>();
    final StringBuffer stdout = new StringBuffer();
    final StringBuffer stderr = new StringBuffer();
    final CountDownLatch firstOutput = new CountDownLatch(1);
    volatile long pid = -1;

    @Override
    public void onStart(long pid) {
        this.pid = pid;
        events.add("start");
    }

    @Override
    public void onStdout(String data) {
        stdout.append(data);
        events.add("stdout");
        firstOutput.countDown();
    }

    @Override
    public void onStderr(String data) {
        stderr.append(data);
        events.add("stderr");
        firstOutput.countDown();
    }
}
