package dev.passthru;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.lang.annotation.Annotation;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs contract test classes where JUnit's launcher is not at hand: inside VfioGuestTest's guest,
 * which has the test classpath but no Maven. Each {@code @Test} method of a class (inherited ones
 * first) gets a fresh instance and then the class's {@code @AfterEach} methods, as JUnit does; an
 * assumption that fails is a skip. Prints a {@code PT-CONTRACT PASS|FAIL|SKIP Class.method} line
 * per case and one {@code PT-CONTRACTS passed N failed N skipped N} line; exits 1 if any failed.
 * Usage: ContractRunner CLASS...
 */
public final class ContractRunner {

    private int passed;
    private int failed;
    private int skipped;

    private ContractRunner() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        ContractRunner runner = new ContractRunner();
        for (String name : args) {
            runner.run(Class.forName(name));
        }
        System.out.printf("PT-CONTRACTS passed %d failed %d skipped %d%n", runner.passed, runner.failed, runner.skipped);
        System.exit(runner.failed == 0 ? 0 : 1);
    }

    private void run(Class<?> type) throws ReflectiveOperationException {
        Constructor<?> constructor = type.getDeclaredConstructor();
        constructor.setAccessible(true);
        List<Method> after = annotated(type, AfterEach.class);
        for (Method test : annotated(type, Test.class)) {
            String name = type.getSimpleName() + "." + test.getName();
            Object instance = constructor.newInstance();
            Throwable problem = invoke(test, instance);
            for (Method cleanup : after) {
                Throwable late = invoke(cleanup, instance);
                problem = problem != null ? problem : late;
            }
            if (problem == null) {
                passed++;
                System.out.println("PT-CONTRACT PASS " + name);
            } else if (problem instanceof TestAbortedException) {
                skipped++;
                System.out.println("PT-CONTRACT SKIP " + name + ": " + problem.getMessage());
            } else {
                failed++;
                System.out.println("PT-CONTRACT FAIL " + name + ": " + String.valueOf(problem).replace('\n', ' '));
            }
        }
    }

    /** The problem a method threw, or null. */
    private static Throwable invoke(Method method, Object instance) {
        try {
            method.invoke(instance);
            return null;
        } catch (InvocationTargetException e) {
            return e.getCause();
        } catch (IllegalAccessException e) {
            return e;
        }
    }

    /** Methods carrying {@code annotation}, the superclasses' first, each accessible. */
    private static List<Method> annotated(Class<?> type, Class<? extends Annotation> annotation) {
        List<Method> methods = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            List<Method> own = new ArrayList<>();
            for (Method m : c.getDeclaredMethods()) {
                if (m.isAnnotationPresent(annotation)) {
                    m.setAccessible(true);
                    own.add(m);
                }
            }
            own.sort((a, b) -> a.getName().compareTo(b.getName()));
            methods.addAll(0, own);
        }
        return methods;
    }
}
