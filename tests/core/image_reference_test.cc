#include "core/image_reference.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

const std::string kHex(64, 'a');

struct Normalised {
  std::string input;
  std::string registry;
  std::string path;
  std::string tag;
  std::string digest;
  std::string normalized;
};

void PrintTo(const Normalised& n, std::ostream* os) { *os << n.input; }

class ImageReferenceNormalises : public ::testing::TestWithParam<Normalised> {};

TEST_P(ImageReferenceNormalises, IntoRegistryPathTagAndDigest) {
  const Normalised& c = GetParam();
  ImageParseResult result = parse_image_reference(c.input);
  ASSERT_TRUE(result.reference) << c.input << ": " << result.error;
  EXPECT_EQ(result.reference->registry, c.registry);
  EXPECT_EQ(result.reference->path, c.path);
  EXPECT_EQ(result.reference->tag, c.tag);
  EXPECT_EQ(result.reference->digest, c.digest);
  EXPECT_EQ(result.reference->normalized(), c.normalized);
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, ImageReferenceNormalises,
    ::testing::Values(
        Normalised{"nginx", "docker.io", "library/nginx", "", "", "docker.io/library/nginx:latest"},
        Normalised{"nginx:1.25", "docker.io", "library/nginx", "1.25", "", "docker.io/library/nginx:1.25"},
        Normalised{"docker.io/library/nginx", "docker.io", "library/nginx", "", "", "docker.io/library/nginx:latest"},
        Normalised{"index.docker.io/nginx", "docker.io", "library/nginx", "", "", "docker.io/library/nginx:latest"},
        Normalised{"bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", "", "docker.io/bitnami/redis:7.2"},
        Normalised{"localhost:5000/app", "localhost:5000", "app", "", "", "localhost:5000/app:latest"},
        Normalised{"localhost/app:v1", "localhost", "app", "v1", "", "localhost/app:v1"},
        Normalised{"host:5000/ns/app:1.0@sha256:" + std::string(64, 'a'), "host:5000", "ns/app", "1.0",
                   "sha256:" + std::string(64, 'a'), "host:5000/ns/app:1.0@sha256:" + std::string(64, 'a')},
        Normalised{"ghcr.io/acme/api@sha256:" + std::string(64, 'a'), "ghcr.io", "acme/api", "",
                   "sha256:" + std::string(64, 'a'), "ghcr.io/acme/api@sha256:" + std::string(64, 'a')},
        Normalised{"registry.k8s.io/ingress-nginx/controller:v1.15.1", "registry.k8s.io", "ingress-nginx/controller",
                   "v1.15.1", "", "registry.k8s.io/ingress-nginx/controller:v1.15.1"},
        Normalised{"quay.io/argoprojlabs/argocd-e2e-container:0.2", "quay.io", "argoprojlabs/argocd-e2e-container",
                   "0.2", "", "quay.io/argoprojlabs/argocd-e2e-container:0.2"},
        Normalised{"Registry.Example.com/team/app:1", "Registry.Example.com", "team/app", "1", "",
                   "Registry.Example.com/team/app:1"},
        Normalised{"[::1]:5000/app:2", "[::1]:5000", "app", "2", "", "[::1]:5000/app:2"},
        Normalised{"a/b__c/d-e--f/g.h:TAG_1.x-y", "docker.io", "a/b__c/d-e--f/g.h", "TAG_1.x-y", "",
                   "docker.io/a/b__c/d-e--f/g.h:TAG_1.x-y"}));

class ImageReferenceRejects : public ::testing::TestWithParam<std::string> {};

TEST_P(ImageReferenceRejects, MalformedReference) {
  ImageParseResult result = parse_image_reference(GetParam());
  EXPECT_FALSE(result.reference) << GetParam();
  EXPECT_FALSE(result.error.empty());
}

INSTANTIATE_TEST_SUITE_P(Grammar, ImageReferenceRejects,
                         ::testing::Values("", "Nginx", "acme/Api:1", "nginx:", "nginx:-bad", "nginx@sha256:abc",
                                           "nginx@sha256:" + std::string(64, 'A'), "nginx@md5:" + std::string(32, 'a'),
                                           "ghcr.io/", "ghcr.io//app", "-app", "app-", "a..b", "nginx:" + std::string(129, 't'),
                                           "host:port/app", "exa_mple.com/app", "ghcr.io/acme/app:1 ",
                                           // A port without a host (found by fuzzing: read past an empty host).
                                           ":8/acme/app", ":/acme/app",
                                           std::string(256, 'a')));

// The 255-character limit counts the normalized name, as distribution does:
// a short name that fits as written but not once "docker.io/library/" is
// added is refused (found by fuzzing: its normalized form did not parse).
TEST(ImageReference, NameLimitCountsTheNormalizedName) {
  const std::string fits = "docker.io/library/" + std::string(255 - 18, 'a');
  EXPECT_TRUE(parse_image_reference(fits).reference);
  EXPECT_TRUE(parse_image_reference(std::string(255 - 18, 'a')).reference);
  EXPECT_FALSE(parse_image_reference(std::string(255 - 17, 'a')).reference);
  EXPECT_FALSE(parse_image_reference("0" + std::string(246, 'e')).reference);
  // index.docker.io shortens to docker.io: 258 characters as written, 252 normalized.
  EXPECT_TRUE(parse_image_reference("index.docker.io/acme/" + std::string(237, 'a')).reference);
}

TEST(ImageReference, UppercaseRepositoryErrorSaysLowercase) {
  EXPECT_EQ(parse_image_reference("ghcr.io/Acme/app:1").error, "repository name must be lowercase");
}

TEST(ImageReference, EffectiveTagIsLatestOnlyWithoutTagAndDigest) {
  EXPECT_EQ(parse_image_reference("nginx").reference->effective_tag(), "latest");
  EXPECT_EQ(parse_image_reference("nginx:1").reference->effective_tag(), "1");
  EXPECT_EQ(parse_image_reference("nginx@sha256:" + kHex).reference->effective_tag(), "");
}

TEST(Repository, ParsesBareRepositoryAndRejectsTagOrDigest) {
  ImageParseResult ok = parse_repository("ghcr.io/acme/podinfo");
  ASSERT_TRUE(ok.reference);
  EXPECT_EQ(ok.reference->repository(), "ghcr.io/acme/podinfo");
  EXPECT_EQ(parse_repository("redis").reference->repository(), "docker.io/library/redis");
  EXPECT_EQ(parse_repository("localhost:5000/app").reference->repository(), "localhost:5000/app");
  EXPECT_FALSE(parse_repository("ghcr.io/acme/podinfo:1.0").reference);
  EXPECT_FALSE(parse_repository("ghcr.io/acme/podinfo@sha256:" + kHex).reference);
}

}  // namespace
}  // namespace releasegate
