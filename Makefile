# stt-gateway: build, test, run and benchmark everything on loopback.
# Every recipe runs on a JDK 25+: JAVA_HOME when it already is one, else Temurin 25 under /usr/lib/jvm.

SHELL := /bin/bash
.DEFAULT_GOAL := build

java_major = $(shell "$(1)/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
ifneq ($(JAVA_HOME),)
  ifeq ($(shell [ "$(call java_major,$(JAVA_HOME))" -ge 25 ] 2>/dev/null && echo ok),ok)
    JDK := $(JAVA_HOME)
  endif
endif
ifeq ($(JDK),)
  JDK := $(firstword $(wildcard /usr/lib/jvm/temurin-25*) $(wildcard /usr/lib/jvm/*-25*) $(wildcard /usr/lib/jvm/jdk-25*))
endif
ifeq ($(JDK),)
  $(error No JDK 25 found: set JAVA_HOME to a JDK 25+ or install Temurin 25 under /usr/lib/jvm)
endif
export JAVA_HOME := $(JDK)
export PATH := $(JDK)/bin:$(PATH)

MVN := mvn -B
JARS := inference-sim/target/inference-sim.jar gateway-nio/target/gateway-nio.jar loadgen/target/loadgen.jar \
  gateway-netty/target/gateway-netty.jar
SOURCES := pom.xml $(wildcard */pom.xml) $(shell find inference-sim/src gateway-nio/src loadgen/src gateway-netty/src -type f 2>/dev/null)
IMAGES := $(foreach m,inference-sim gateway-nio loadgen gateway-netty,$(m)/target/image/$(m).oci.tar)

.PHONY: build test clean jdk run-sim run-gateway run-loadgen conformance bench ladder compare compare-ports sidebyside density jmh images k8s-point k8s-ladder

jdk: ## print the JDK every target uses
	@echo "JAVA_HOME=$(JAVA_HOME)"; java -version

build: $(JARS) ## build the runnable jars (tests skipped)

$(JARS) &: $(SOURCES)
	$(MVN) -DskipTests package

test: ## unit, integration and smoke-bench tests, the images run in a chroot, the rendered manifests (the CI command)
	$(MVN) -Pimages verify
	scripts/test-scripts.sh
	scripts/test-images.sh

images: $(IMAGES) ## one OCI image tarball per module, no Docker engine: MODULE/target/image/MODULE.oci.tar (Jib, jlinked runtime)

$(IMAGES) &: $(SOURCES) scripts/image-runtime.sh
	$(MVN) -Pimages -DskipTests package

k8s-point: build ## one point on a Kubernetes cluster: make k8s-point OVERLAY=pinned-1cpu SESSIONS=N (deploy/README.md, scripts/k8s-point.sh)
	scripts/k8s-point.sh

k8s-ladder: build ## a capacity ladder on a cluster: make k8s-ladder OVERLAY=fractional-500m POINTS="500 1000 2000"
	POINT_SCRIPT=scripts/k8s-point.sh LABEL=$${LABEL:-k8s-$(or $(OVERLAY),pinned-1cpu)} scripts/ladder.sh

clean:
	$(MVN) -q clean
	rm -rf target

run-sim: build ## inference-sim in the foreground (env: PORT, MODEL_DELAY_MS, ... see PROTOCOL.md §5)
	java $(SIM_JAVA_OPTS) -jar inference-sim/target/inference-sim.jar

run-gateway: build ## gateway-nio in the foreground (env: PORT, INFERENCE_URL, WORKER_THREADS, ...), JVM sized as in scripts/lib.sh
	source scripts/lib.sh && env "$$GATEWAY_MALLOC_ENV" java $(or $(GATEWAY_JAVA_OPTS),$$GATEWAY_JVM_OPTS) -jar gateway-nio/target/gateway-nio.jar

run-loadgen: build ## loadgen with ARGS, e.g. make run-loadgen ARGS="run --sessions 100"
	java $(LOADGEN_JAVA_OPTS) -jar loadgen/target/loadgen.jar $(ARGS)

conformance: build ## black-box conformance checks against URL (default: a gateway on :8080)
	java -jar loadgen/target/loadgen.jar conformance --url $(or $(URL),ws://127.0.0.1:8080/ws/stt)

bench: build ## one benchmark point: make bench SESSIONS=4000 [POD=1: each process as a pod, root only] (see scripts/bench.sh for variables)
	scripts/bench.sh

ladder: build ## capacity sweep: make ladder POINTS="250 500 1000"
	scripts/ladder.sh

compare: build ## two reports side by side: make compare A=results/x B=results/y
	scripts/compare.sh "$(A)" "$(B)"

density: build ## density gate: make density CONNECTIONS=N [STREAMING=M] [FRAME_INTERVAL_MS=F] [RSS_BUDGET_MB=B] [HOLD=S] [RATE=R]: gateway RSS per connection held; exit 0 pass, 2 over budget, 3 session errors (scripts/density.sh)
	scripts/density.sh

compare-ports: build ## gateway-nio vs its Netty port, the same capacity ladder on each: make compare-ports [POINTS="500 1000 1500"] [STEP=125] (scripts/compare-ports.sh)
	scripts/compare-ports.sh

sidebyside: build ## C floor vs gateway-nio [vs OTHER_GATEWAY_CMD], each alone on one core: make sidebyside SESSIONS_LIST="1000 2000"
	scripts/sidebyside.sh

.PHONY: fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= websocket.FrameDecoderFuzzTest server.RequestHeadFuzzTest protocol.StartMessageFuzzTest

fuzz: ## coverage-guided fuzzing (Jazzer) of each of FUZZ_TARGETS for FUZZ_SECONDS (default 60); crashes land in the committed corpus
	@mkdir -p gateway-nio/target; status=0; for target in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  JAZZER_FUZZ=1 $(MVN) -pl gateway-nio -am test -Dtest="dev.sttbench.gateway.$$target" \
	    -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.hooks=true -Djazzer.max_duration=$(FUZZ_SECONDS)s \
	    -Djazzer.instrument='dev.sttbench.gateway.**,com.github.cliftonlabs.json_simple.**' \
	    > "gateway-nio/target/fuzz-$$target.log" 2>&1 || status=1; \
	  grep -E '^#[0-9]+\s+(DONE|INITED)|== Java Exception|FuzzTestFinding|Tests run:.*Fail' "gateway-nio/target/fuzz-$$target.log" | tail -4; \
	done; \
	git status --short -- gateway-nio/src/test/resources; exit $$status

jmh: ## JMH benchmarks of MODULE (default gateway-nio); ARGS go to JMH, e.g. ARGS="-prof gc"
	$(MVN) -q -pl $(or $(MODULE),gateway-nio) -am -DskipTests test-compile dependency:build-classpath \
	  -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
	cd $(or $(MODULE),gateway-nio) && java -cp "target/test-classes:target/classes:$$(cat target/test-classpath.txt)" \
	  org.openjdk.jmh.Main $(ARGS)
