package hudson.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import java.util.List;

public class Queue {
    protected Queue() {}

    public static native Queue getInstance();

    public native List<BuildableItem> getBuildableItems();

    public native boolean cancel(Item item);

    public interface Task extends hudson.model.queue.SubTask {}

    public interface Executable extends Runnable {
        default @CheckForNull Executable getParentExecutable() {
            throw new UnsupportedOperationException("declaration only");
        }
    }

    public abstract static class Item extends Actionable {
        public final Task task = null;

        public native Label getAssignedLabel();
    }

    public static final class BuildableItem extends Item {
        private BuildableItem() {}
    }
}
