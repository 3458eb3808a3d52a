package dev.passthru.xen;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;

/**
 * Runs named cases of a contract suite outside JUnit, as XenGuestTest's dom0 scenario does,
 * printing one line per case for the test to read: {@code TAG pass NAME} or
 * {@code TAG fail NAME: cause}. A case that fails does not stop the ones after it.
 */
final class Dom0Cases {

    /** Runs one case: makes the suite's instance, invokes {@code test} on it, and gives back what the case left. */
    interface Case {
        void run(Method test) throws ReflectiveOperationException;
    }

    private Dom0Cases() {
    }

    static void run(String tag, Class<?> suite, List<String> names, Case each) {
        for (String name : names) {
            try {
                Method test = suite.getDeclaredMethod(name);
                test.setAccessible(true);
                each.run(test);
                System.out.println(tag + " pass " + name);
            } catch (InvocationTargetException e) {
                System.out.println(tag + " fail " + name + ": " + e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                System.out.println(tag + " fail " + name + ": " + e);
            }
        }
    }
}
