package io.milvuscdc.job;

import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs an end-to-end test class once per source queue (a source Milvus on Kafka, one on Pulsar)
 * on the shared real stack. The class's {@code @BeforeParameterizedClassInvocation} methods
 * receive the {@link Queue} first, then the {@code MilvusStack}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(MilvusStackExtension.class)
@ParameterizedClass(name = "{0}")
@EnumSource(Queue.class)
@interface ForEachSourceQueue {}
