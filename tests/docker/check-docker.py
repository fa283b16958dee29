#!/usr/bin/env python3
"""check-docker.py: docker/compose.yaml, docker/Dockerfile and .dockerignore
checked without a Docker engine (meson test 'docker-files', suite unit).

   python3 tests/docker/check-docker.py [REPO_ROOT [IMSD_BINARY]]

Reads the files as text and YAML (python3-yaml) and fails, naming each
problem, unless:
  - every ${VAR} the compose file reads is documented (docs/operations.md or
    docker/README.md) and has a default (${VAR:-x}) or is set in the usage
    line at the head of the file, and every variable of the usage line is
    read by the file;
  - every image (compose image:, Dockerfile FROM) is pinned to a version: a
    tag with a digit, never latest, never untagged;
  - the HEALTHCHECK asks the port imsd listens on: it reads $IMSD_SERVER_PORT,
    names no port of its own, the image sets IMSD_SERVER_PORT to the port it
    EXPOSEs, and the compose file's imsd passes IMSD_SERVER_PORT;
  - the compose file's imsd verifies recruiter tokens (IMSD_REVIEW_JWT_SECRET
    or _PUBLIC_KEY_FILE) and, with S3 on loopback, signs URLs for a public
    S3 endpoint;
  - every named volume is declared, mounted, and mounted where its service
    writes (table WRITE_PATHS below: PGDATA, minio's `server DIR`,
    KAFKA_LOG_DIRS, imsd's spool folder);
  - every IMSD_* variable given to imsd is a config key of
    etc/imsd.conf.example (whose "(env IMSD_...)" notes test-config.c checks);
  - .dockerignore excludes build/, .run/, node_modules (at any depth) and
    excludes no file git tracks (`git ls-files`; skipped outside a checkout);
  - the Dockerfile's build stage installs exactly the packages
    scripts/install-deps.sh lists for building: its "build" group and every
    -dev package, less BUILD_EXCLUDED (each with its reason);
  - with IMSD_BINARY (meson passes the imsd it built): every shared library
    it links (ldd) comes from a package that the runtime stage installs, or
    that one of those depends on (dpkg's Depends and Pre-Depends, followed on
    this machine, which has them all installed), or that a Debian 12 base
    image has (Essential or Priority required).
Exits 0 with "ok" and a count of checks, 1 with the problems.
"""
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..', '..'))

# install-deps.sh packages the image's build stage does not need, and why.
BUILD_EXCLUDED = {
    'git': 'the image builds the copied tree; nothing runs git',
    'libcmocka-dev': 'the unit tests only: the image builds with -Dtests=false',
}

problems = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        problems.append(message)
    return condition


def read(relative):
    with open(os.path.join(ROOT, relative), encoding='utf-8') as f:
        return f.read()


def dockerfile_instructions(text):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    result = []
    logical = ''
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith('#')):
            continue
        if stripped.startswith('#'):
            continue  # a comment inside a continued instruction
        if stripped.endswith('\\'):
            logical += stripped[:-1] + ' '
            continue
        logical += stripped
        word, _, rest = logical.partition(' ')
        result.append((word.upper(), rest.strip()))
        logical = ''
    return result


def apt_packages(run_arguments):
    """The packages of the first `apt-get install` in a RUN's arguments."""
    words = run_arguments.split()
    if 'install' not in words:
        return []
    packages = []
    for word in words[words.index('install') + 1:]:
        if word in ('&&', '||', ';', '|'):
            break
        if not word.startswith('-'):
            packages.append(word)
    return packages


def image_is_pinned(image):
    """TRUE for name:tag with a digit in the tag (not latest) or name@sha256:..."""
    if '@sha256:' in image:
        return True
    name, _, tag = image.rpartition(':')
    if not name or '/' in tag:  # no tag (a registry port is not a tag)
        return False
    return tag != 'latest' and re.search(r'\d', tag) is not None


# --- the compose file -----------------------------------------------------------
compose_text = read('docker/compose.yaml')
compose = yaml.safe_load(compose_text)
services = compose.get('services', {})
docs = read('docs/operations.md') + read('docker/README.md')

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}; $${...} is the container's
variable_uses = re.findall(r'(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?', compose_text)
check(variable_uses, 'docker/compose.yaml reads no ${VAR} at all: the parser below is broken')
with_default = {name for name, operator in variable_uses if operator in (':-', '-')}
variables = {name for name, _ in variable_uses}

# the usage line: the comment lines at the head, joined at trailing backslashes,
# from the first NAME=value up to "docker compose"
head = []
for line in compose_text.splitlines():
    if not line.startswith('#'):
        break
    head.append(line.lstrip('#').strip())
usage = ' '.join(head).replace('\\ ', ' ')
usage_match = re.search(r'((?:[A-Z_][A-Z0-9_]*=\S*\s+)+)docker compose -f docker/compose\.yaml up', usage)
usage_variables = set()
if check(usage_match, 'docker/compose.yaml: no usage line "VAR=... docker compose -f docker/compose.yaml up" '
                      'at its head'):
    usage_variables = set(re.findall(r'([A-Z_][A-Z0-9_]*)=', usage_match.group(1)))

for name in sorted(variables):
    check(re.search(r'`' + name + r'`', docs) is not None,
          '${%s}: not documented in docs/operations.md or docker/README.md (as `%s`)' % (name, name))
    check(name in with_default or name in usage_variables,
          '${%s}: no default (${%s:-...}) and not set in the usage line: `docker compose up` as '
          'written fails or passes an empty value' % (name, name))
for name in sorted(usage_variables - variables):
    check(False, 'the usage line sets %s, which docker/compose.yaml never reads' % name)

# images
for service_name, service in services.items():
    if 'image' in service:
        check(image_is_pinned(service['image']),
              'service %s: image %s is not pinned to a version' % (service_name, service['image']))
    else:
        check('build' in service, 'service %s has neither image nor build' % service_name)

# --- the Dockerfile -------------------------------------------------------------
instructions = dockerfile_instructions(read('docker/Dockerfile'))
stages = []  # [(FROM arguments, [instructions])]
for word, arguments in instructions:
    if word == 'FROM':
        stages.append((arguments, []))
    elif check(stages, 'docker/Dockerfile: %s before FROM' % word):
        stages[-1][1].append((word, arguments))
for from_arguments, _ in stages:
    image = from_arguments.split()[0]
    check(image_is_pinned(image), 'docker/Dockerfile: FROM %s is not pinned to a version' % image)

final = stages[-1][1] if stages else []
environment = {}
for word, arguments in final:
    if word == 'ENV':
        for name, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=(\S*)', arguments):
            environment[name] = value
exposed = [arguments.split('/')[0] for word, arguments in final if word == 'EXPOSE']
healthchecks = [arguments for word, arguments in final if word == 'HEALTHCHECK']
if check(len(healthchecks) == 1, 'docker/Dockerfile: the image has %d HEALTHCHECKs, not one' % len(healthchecks)):
    probe = healthchecks[0]
    check(re.search(r'\$\{?IMSD_SERVER_PORT\}?', probe) is not None,
          'HEALTHCHECK does not read $IMSD_SERVER_PORT: %s' % probe)
    check(re.search(r'127\.0\.0\.1:\d|localhost:\d', probe) is None,
          'HEALTHCHECK names a port of its own, not the configured one: %s' % probe)
    check(not probe.lstrip().startswith('CMD ['),
          'HEALTHCHECK in exec form: $IMSD_SERVER_PORT would not be expanded')
check(environment.get('IMSD_SERVER_PORT') is not None and exposed == [environment.get('IMSD_SERVER_PORT')],
      'docker/Dockerfile: ENV IMSD_SERVER_PORT=%s but EXPOSE %s' % (environment.get('IMSD_SERVER_PORT'), exposed))

imsd_services = [name for name, service in services.items() if 'build' in service]
check(imsd_services == ['imsd'], 'docker/compose.yaml: the services built from docker/Dockerfile are %s, '
                                 'expected [imsd]' % imsd_services)
imsd = services.get('imsd', {})
imsd_environment = imsd.get('environment', {})
check('IMSD_SERVER_PORT' in imsd_environment,
      'compose imsd: IMSD_SERVER_PORT is not passed, so the port an operator picks reaches neither '
      'imsd nor its HEALTHCHECK')
if 'healthcheck' in imsd:
    test = imsd['healthcheck'].get('test')
    test = ' '.join(test) if isinstance(test, list) else str(test)
    check('IMSD_SERVER_PORT' in test, 'compose imsd: healthcheck does not use $IMSD_SERVER_PORT: %s' % test)
# what an operator needs from the stack as shipped: recruiter tokens that verify,
# and signed media URLs a browser elsewhere reaches
check('IMSD_REVIEW_JWT_SECRET' in imsd_environment or 'IMSD_REVIEW_JWT_PUBLIC_KEY_FILE' in imsd_environment,
      'compose imsd: neither IMSD_REVIEW_JWT_SECRET nor IMSD_REVIEW_JWT_PUBLIC_KEY_FILE: every recruiter '
      'token is refused')
s3_endpoint = str(imsd_environment.get('IMSD_STORAGE_S3_ENDPOINT', ''))
if re.match(r'(127\.|localhost|\[::1\])', s3_endpoint):
    check('IMSD_STORAGE_S3_PUBLIC_ENDPOINT' in imsd_environment,
          'compose imsd: S3 at %s but no IMSD_STORAGE_S3_PUBLIC_ENDPOINT: signed URLs name an address only '
          'the host reaches' % s3_endpoint)
build = imsd.get('build', {})
check(os.path.isfile(os.path.join(ROOT, 'docker', build.get('context', '.'), build.get('dockerfile', ''))),
      'compose imsd: build %s does not name docker/Dockerfile' % build)

# IMSD_* variables are config keys
example = read('etc/imsd.conf.example')
config_variables = set(re.findall(r'env (IMSD_[A-Z0-9_]+)\)', example))
check(len(config_variables) > 40, 'etc/imsd.conf.example: found only %d "(env IMSD_...)" notes'
      % len(config_variables))
given = dict(environment)
given.update({name: str(value) for name, value in imsd_environment.items()})
for name in sorted(given):
    if name.startswith('IMSD_'):
        check(name in config_variables, 'imsd is given %s, which is no config key (etc/imsd.conf.example)' % name)

# --- volumes ----------------------------------------------------------------------


def minio_data(service):
    words = str(service.get('command', '')).split()
    return words[words.index('server') + 1] if 'server' in words else None


def imsd_spool(service):
    return str(service.get('environment', {}).get('IMSD_SERVER_SPOOL_DIR', environment.get('IMSD_SERVER_SPOOL_DIR')))


# Where each service writes its data, from its own settings.
WRITE_PATHS = {
    'postgres': lambda s: s.get('environment', {}).get('PGDATA', '/var/lib/postgresql/data'),
    'minio': minio_data,
    'kafka': lambda s: s.get('environment', {}).get('KAFKA_LOG_DIRS', '/tmp/kraft-combined-logs'),
    'imsd': imsd_spool,
}
declared = set((compose.get('volumes') or {}).keys())
mounted = set()
for service_name, service in services.items():
    for mount in service.get('volumes', []):
        source, _, target = str(mount).partition(':')
        target = target.split(':')[0]
        if source.startswith(('.', '/', '~')):
            continue  # a bind mount
        mounted.add(source)
        check(source in declared, 'service %s mounts volume %s, which is not declared' % (service_name, source))
        if check(service_name in WRITE_PATHS,
                 'service %s mounts volume %s: add where it writes to WRITE_PATHS' % (service_name, source)):
            writes = WRITE_PATHS[service_name](service)
            check(writes == target, 'service %s: volume %s is mounted at %s but the service writes to %s'
                  % (service_name, source, target, writes))
for name in sorted(declared - mounted):
    check(False, 'volume %s is declared but no service mounts it' % name)

# --- .dockerignore ------------------------------------------------------------------


def ignore_patterns():
    patterns = []
    present = os.path.isfile(os.path.join(ROOT, '.dockerignore'))
    if not check(present, 'no .dockerignore: the build context takes build/, .run/ and node_modules'):
        return patterns
    for line in read('.dockerignore').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        negated = line.startswith('!')
        pattern = os.path.normpath(line.lstrip('!').strip('/'))
        regex = ''
        i = 0
        while i < len(pattern):
            if pattern.startswith('**/', i):
                regex += '(?:.*/)?'
                i += 3
            elif pattern.startswith('**', i):
                regex += '.*'
                i += 2
            elif pattern[i] == '*':
                regex += '[^/]*'
                i += 1
            elif pattern[i] == '?':
                regex += '[^/]'
                i += 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        patterns.append((negated, re.compile(regex + r'\Z')))
    return patterns


def ignored(path, patterns):
    """Docker's rule: a path is left out if the last pattern matching it or
    one of its parent folders is not a !exception."""
    parts = path.split('/')
    prefixes = ['/'.join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for negated, regex in patterns:
        if any(regex.match(prefix) for prefix in prefixes):
            result = not negated
    return result


patterns = ignore_patterns()
for path in ['build/imsd', 'build-asan/build.ninja', '.run/pg/data/PG_VERSION', 'node_modules/x/index.js',
             'tests/browser/node_modules/ws/index.js', '.git/HEAD']:
    check(ignored(path, patterns), '.dockerignore does not exclude %s' % path)
try:
    tracked = subprocess.run(['git', '-C', ROOT, 'ls-files'], check=True, capture_output=True,
                             text=True).stdout.split('\n')
except (OSError, subprocess.CalledProcessError):
    tracked = []  # not a checkout (a source tarball): nothing to compare
for path in tracked:
    if path:
        check(not ignored(path, patterns), '.dockerignore excludes %s, which git tracks' % path)
for word, arguments in final:
    if word == 'COPY' and '--from=' not in arguments:
        for source in arguments.split()[:-1]:
            check(not ignored(source, patterns), 'docker/Dockerfile copies %s, which .dockerignore excludes'
                  % source)

# --- build packages: docker/Dockerfile against scripts/install-deps.sh -------------------
install_deps = read('scripts/install-deps.sh')
array = re.search(r'^PACKAGES=\(\n(.*?)^\)', install_deps, re.S | re.M)
deps_build = set()
if check(array, 'scripts/install-deps.sh: no PACKAGES=( ... ) array'):
    group = None
    in_comment = False
    for line in array.group(1).splitlines():
        line = line.strip()
        if line.startswith('#'):
            if not in_comment:
                group = line.lstrip('#').strip()  # a group is named by its comment's first line
            in_comment = True
            continue
        in_comment = False
        for package in line.split():
            if group == 'build' or package.endswith('-dev'):
                deps_build.add(package)
    check('meson' in deps_build and 'libglib2.0-dev' in deps_build,
          'scripts/install-deps.sh: the "build" group or the -dev packages were not found')
for package, reason in BUILD_EXCLUDED.items():
    check(package in deps_build, 'BUILD_EXCLUDED names %s, which install-deps.sh does not list for building '
                                 '(%s): drop it' % (package, reason))
wanted = deps_build - set(BUILD_EXCLUDED)
build_stage = stages[0][1] if stages else []
image_build = set()
for word, arguments in build_stage:
    if word == 'RUN':
        image_build.update(apt_packages(arguments))
for package in sorted(wanted - image_build):
    check(False, 'docker/Dockerfile build stage lacks %s (scripts/install-deps.sh builds with it)' % package)
for package in sorted(image_build - wanted):
    check(False, 'docker/Dockerfile build stage installs %s, which scripts/install-deps.sh does not list '
                 'for building' % package)

# --- runtime packages: what the built imsd links -------------------------------------


def runtime_closure(packages):
    """The packages, what they depend on (first installed alternative), and the
    base image's, from one dpkg-query of every installed package."""
    listing = subprocess.run(['dpkg-query', '-W', '-f',
                              '${Package}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\n'],
                             capture_output=True, text=True).stdout
    depends = {}
    closure = set()
    for line in listing.splitlines():
        fields = line.split('\t')
        if len(fields) != 4:
            continue
        depends[fields[0]] = fields[3]
        if fields[1] == 'yes' or fields[2] == 'required':
            closure.add(fields[0])
    todo = list(packages)
    while todo:
        package = todo.pop()
        if package in closure:
            continue
        closure.add(package)
        for dependency in depends.get(package, '').split(','):
            names = [re.split(r'[ (:]', alternative.strip())[0] for alternative in dependency.split('|')]
            names = [name for name in names if name in depends]
            if names:
                todo.append(names[0])
    return closure


if len(sys.argv) > 2:
    binary = sys.argv[2]
    ldd = subprocess.run(['ldd', binary], capture_output=True, text=True, check=True).stdout
    libraries = sorted(set(re.findall(r'=> (/\S+)', ldd)))
    check(len(libraries) > 20, 'ldd %s: only %d libraries' % (binary, len(libraries)))
    runtime_packages = set()
    for word, arguments in final:
        if word == 'RUN':
            runtime_packages.update(apt_packages(arguments))
    closure = runtime_closure(runtime_packages)
    # dpkg knows one spelling: /lib or /usr/lib (merged /usr), the link or its target
    spellings = {}
    for library in libraries:
        for path in (library, os.path.realpath(library)):
            for spelling in (path, path[len('/usr'):] if path.startswith('/usr/') else '/usr' + path):
                spellings.setdefault(spelling, library)
    owners = {}
    found = subprocess.run(['dpkg', '-S'] + sorted(spellings), capture_output=True, text=True).stdout
    for line in found.splitlines():
        package, _, path = line.partition(': ')
        if path in spellings and ', ' not in package:
            owners.setdefault(spellings[path], package.split(':')[0])
    for library in libraries:
        package = owners.get(library)
        if check(package, '%s (linked by imsd) belongs to no package' % library):
            check(package in closure, 'imsd links %s (package %s), which the runtime stage of '
                                      'docker/Dockerfile does not install' % (library, package))

if problems:
    for problem in problems:
        print('FAIL: ' + problem)
    print('%d of %d checks failed' % (len(problems), checks))
    sys.exit(1)
print('ok: %d checks of docker/compose.yaml, docker/Dockerfile, .dockerignore' % checks)
