package dev.passthru.vm;

import java.util.List;

/** A value in an xl.cfg file, with the line it starts on for messages. */
sealed interface CfgValue {

    int line();

    /** What the value is, for "expected ..., found ..." messages. */
    String describe();

    record Text(String value, int line) implements CfgValue {
        @Override
        public String describe() {
            return "the string \"" + value + "\"";
        }
    }

    record Number(long value, int line) implements CfgValue {
        @Override
        public String describe() {
            return "the number " + value;
        }
    }

    record Items(List<CfgValue> values, int line) implements CfgValue {
        @Override
        public String describe() {
            return "a list";
        }
    }
}
