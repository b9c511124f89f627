#!/usr/bin/env python3
"""Fails when a Gradle API that Gradle 8 or 9 removed (or that breaks there) reappears in a build file.

The list is ../shared/notes/gradle-8-9-audit.md's: CI runs Debian's Gradle 4.4.1, which still
accepts all of these, so without this check a build that only 4.4.1 can read passes CI.

A line may use a removed API only in a branch that older Gradle versions take: it carries the
marker `removed-api-ok:` and a version guard (`GradleVersion.current()` or `x.hasProperty('...')`)
stands at most six lines above it.

Usage: tests/gradle-api-check.py [FILE...]   (default: every *.gradle file of the repository
outside build directories). Runs its own self-test first: each known-bad snippet must be caught
and each good one must pass, so a broken pattern fails the check instead of passing everything.
"""
import pathlib
import re
import sys

# (name, pattern) pairs checked on every line outside comments.
LINE_RULES = [
    ("unqualified hasProperty (inside a task block it asks the Closure and is always false; "
     "use delegate.hasProperty, task.hasProperty or findProperty)",
     re.compile(r"(?<![\w.])hasProperty\s*\(")),
    ("archive property removed in Gradle 8.0 (use archiveFileName/archiveBaseName/archiveClassifier/"
     "destinationDirectory/archiveAppendix/archiveExtension/archiveFile, or setArchiveName in build.gradle)",
     re.compile(r"(?<![\w'\"])(archiveName|baseName|classifier|destinationDir|appendix|extension|archivePath)\b(?!\s*:)")),
    ("JavaExec main removed in Gradle 8.0/9.0 (use mainClass.set, or setMainClass in build.gradle)",
     re.compile(r"(?<![\w'\"])main\s*=(?!=)|\.main\s*\(|(?<![\w.'\"])main\s+['\"]")),
    ("compile/runtime configurations removed in Gradle 7.0 (use implementation/runtimeOnly)",
     re.compile(r"(?<![\w.'\"])(compile|runtime|testCompile|testRuntime)\s*[(\"']|configurations\.(compile|runtime|testCompile|testRuntime)\b")),
    ("jcenter() removed in Gradle 9.0", re.compile(r"\bjcenter\s*\(")),
    ("conventions removed in Gradle 9.0 (archivesBaseName, sourceCompatibility/targetCompatibility on "
     "the project, mainClassName)",
     re.compile(r"(?<![\w.'\"])(archivesBaseName|mainClassName)\b|^\s*(sourceCompatibility|targetCompatibility)\s*=")),
    ("Project.exec/javaexec removed in Gradle 9.0 (use an Exec/JavaExec task)",
     re.compile(r"(?<![\w.'\"])(javaexec|exec)\s*\{|\bproject\.(javaexec|exec)\b")),
    ("Task.leftShift (`task x << {}`) removed in Gradle 5.0", re.compile(r"<<\s*\{")),
    ("Task.execute() removed in Gradle 5.0", re.compile(r"\.execute\s*\(\s*\)")),
    ("Project.buildDir deprecated in Gradle 8.3 (use layout.buildDirectory)",
     re.compile(r"\$\{?buildDir\b|(?<![\w.'\"])buildDir\b|\bproject\.buildDir\b")),
]

# Checked on lines inside doFirst { } / doLast { } blocks: a task action must not reach the
# project (deprecated in 8.12, an error in Gradle 10 and with the configuration cache), and
# what the task runs must be configured before it starts (Gradle 8+ fixes a JavaExec's
# launcher and finalizes its Property-backed settings when it starts).
ACTION_RULES = [
    ("project accessed in a task action (read it at configuration time into a local)",
     re.compile(r"(?<![\w.'\"])(project|findProperty|hasProperty|property|file|files|fileTree|delete|copy|mkdir)\s*[.(]"
                r"|(?<![\w.'\"])(delete|copy)\s+\S")),
    ("task configured in a task action (set executable, jvmArgs, args, mainClass at configuration time)",
     re.compile(r"(?<![\w.'\"])(executable|jvmArgs|args|mainClass|main|classpath|commandLine|environment|workingDir)\s*(=|\(|\+=|\s['\"\[])")),
]

MARKER = "removed-api-ok:"
GUARD = re.compile(r"GradleVersion\.current\(\)|\w+\.hasProperty\(\s*'")
ACTION_START = re.compile(r"\b(doFirst|doLast)\s*\{")


def strip_comment(line):
    """The line without a trailing // comment (one that is not inside a string literal)."""
    for match in re.finditer(r"//", line):
        before = line[:match.start()]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
            return before
    return line


def findings(text):
    """[(line number, rule name, line)] for every rule broken in `text`."""
    found = []
    lines = text.splitlines()
    in_block_comment = False
    action_depth = 0  # brace depth inside the current doFirst/doLast, 0 when outside
    for number, raw in enumerate(lines, 1):
        line = raw
        if in_block_comment:
            if "*/" not in line:
                continue
            line = line[line.index("*/") + 2:]
            in_block_comment = False
        if "/*" in line:
            head, _, rest = line.partition("/*")
            if "*/" not in rest:
                in_block_comment = True
                line = head
            else:
                line = head + rest[rest.index("*/") + 2:]
        code = strip_comment(line)
        allowed = MARKER in raw and any(GUARD.search(l) for l in lines[max(0, number - 7):number - 1])
        rules = list(LINE_RULES)
        start = ACTION_START.search(code)
        if action_depth > 0:
            rules += ACTION_RULES
            body = code
        elif start:
            rules += ACTION_RULES
            body = code[start.end():]
        else:
            body = None
        for name, pattern in rules:
            target = body if (name, pattern) in ACTION_RULES else code
            if target is not None and pattern.search(target) and not allowed:
                found.append((number, name, raw.strip()))
        if action_depth > 0:
            action_depth += code.count("{") - code.count("}")
            action_depth = max(action_depth, 0)
        elif start:
            action_depth = 1 + body.count("{") - body.count("}")
            action_depth = max(action_depth, 0)
    return found


BAD = [
    "task j(type: Jar) {\n    if (hasProperty('archiveFileName')) { archiveFileName.set('x.jar') }\n}",
    "task j(type: Jar) {\n    archiveName = 'x.jar'\n}",
    "task j(type: Jar) { classifier = 'sources' }",
    "jar { baseName 'x' }",
    "jar { destinationDir = file('out') }",
    "def f = jar.archivePath",
    "task r(type: JavaExec) { main = 'a.B' }",
    "dependencies {\n    compile 'a:b:1'\n}",
    "dependencies { testRuntime('a:b:1') }",
    "repositories { jcenter() }",
    "archivesBaseName = 'x'",
    "sourceCompatibility = 11",
    "task r(type: JavaExec) {\n    doFirst {\n        def x = project.findProperty('a')\n    }\n}",
    "task r(type: JavaExec) {\n    doFirst { jvmArgs = ['-Xmx1g'] }\n}",
    "task r(type: JavaExec) {\n    doFirst {\n        if (true) {\n            executable = '/bin/java'\n        }\n    }\n}",
    "task r(type: JavaExec) {\n    doLast {\n        delete reports\n    }\n}",
    "task r(type: JavaExec) {\n    doFirst { args = ['a'] }\n}",
    "def d = file(\"$buildDir/x\")",
    "task x << { println 'x' }",
    "exec { commandLine 'ls' }",
    "// a comment\ntask j(type: Jar) {\n    archiveName = 'x.jar'  // removed-api-ok: no guard above\n}",
]

GOOD = [
    "task j(type: Jar) {\n    if (delegate.hasProperty('archiveFileName')) { archiveFileName.set('x.jar') }\n}",
    "def f(task) {\n    if (GradleVersion.current() >= GradleVersion.version('5.1')) {\n"
    "        task.archiveClassifier.set('sources')\n    } else {\n"
    "        task.classifier = 'sources'  // removed-api-ok: Gradle < 5.1 only\n    }\n}",
    "task r(type: JavaExec) {\n    executable = '/bin/java'\n    jvmArgs '-Xmx1g'\n"
    "    doFirst {\n        reports.deleteDir()\n        println \"Testing: $java\"\n    }\n    args = ['a']\n}",
    "def x = findProperty('a') // archiveName = 'x' in a comment",
    "/**\n * archiveName = 'x', main = 'y'\n */\ndef y = 1",
    "dependencies { implementation 'a:b:1'; testImplementation 'c:d:2' }",
    "def reports = layout.buildDirectory.dir('x').get().asFile",
    "setArchiveName(delegate, [fileName: 'x.jar', classifier: 'sources'])",
    "task r(type: JavaExec) { mainClass.set('a.B') }",
]


def self_test():
    problems = []
    for snippet in BAD:
        if not findings(snippet):
            problems.append("self-test: not caught:\n" + snippet)
    for snippet in GOOD:
        for number, name, line in findings(snippet):
            problems.append(f"self-test: wrongly caught ({name}) at line {number}: {line}")
    return problems


def main(argv):
    root = pathlib.Path(__file__).resolve().parent.parent
    problems = self_test()
    files = [pathlib.Path(a) for a in argv] or sorted(
        p for p in root.rglob("*.gradle")
        if not any(part in ("build", ".gradle", "target", "node_modules") for part in p.relative_to(root).parts))
    for path in files:
        for number, name, line in findings(path.read_text(encoding="utf-8")):
            problems.append(f"{path}:{number}: {name}\n    {line}")
    for problem in problems:
        print(problem)
    print(f"gradle-api-check: {len(files)} build files, {len(BAD) + len(GOOD)} self-test snippets, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
