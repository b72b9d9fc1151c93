#include "policy/yaml_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace releasegate::yaml {
namespace {

Tree::Parsed parse(const std::string& text) { return Tree::parse(text); }

TEST(YamlTree, NodesKnowTheirTypeTextAndPlace) {
  Tree::Parsed p = parse("a: 1\nb:\n  - x\n  - 'quoted'\nc: ~\nd: |\n  block\n");
  ASSERT_TRUE(p.errors.empty());
  ASSERT_EQ(p.documents.size(), 1u);
  Node root = p.documents[0];
  ASSERT_TRUE(root.is_map());
  EXPECT_EQ(root.size(), 4u);
  EXPECT_EQ(root["a"].scalar(), "1");
  EXPECT_FALSE(root["a"].quoted());
  EXPECT_EQ(root["b"].mark().line, 2);
  EXPECT_EQ(root["b"].mark().column, 2);
  ASSERT_TRUE(root["b"].is_sequence());
  EXPECT_EQ(root["b"][1].scalar(), "quoted");
  EXPECT_TRUE(root["b"][1].quoted());
  EXPECT_FALSE(root["b"][2]);
  EXPECT_TRUE(root["c"].is_null());
  EXPECT_EQ(root["d"].scalar(), "block\n");
  EXPECT_TRUE(root["d"].quoted());
  EXPECT_FALSE(root["missing"]);
  EXPECT_FALSE(root["missing"]["deeper"]);  // a missing node answers with missing nodes
  EXPECT_EQ(root["a"]["x"].scalar(), "");
}

TEST(YamlTree, EntriesAndItemsKeepTheWrittenOrder) {
  Tree::Parsed p = parse("z: 1\na: 2\nm: [p, q]\n");
  std::string keys;
  for (auto [key, value] : p.documents[0].entries()) keys += key.scalar();
  EXPECT_EQ(keys, "zam");
  std::string items;
  for (Node item : p.documents[0]["m"].items()) items += item.scalar();
  EXPECT_EQ(items, "pq");
  // Neither has anything for other types.
  EXPECT_EQ(p.documents[0]["z"].items().begin(), p.documents[0]["z"].items().end());
  EXPECT_EQ(p.documents[0]["m"].entries().begin(), p.documents[0]["m"].entries().end());
}

TEST(YamlTree, TheLastOfRepeatedKeysWins) {
  Tree::Parsed p = parse("a: first\na: second\n");
  EXPECT_EQ(p.documents[0]["a"].scalar(), "second");
  EXPECT_EQ(p.documents[0].size(), 2u);  // both stay visible to whoever checks for repeats
}

TEST(YamlTree, ExplicitTagsAreResolved) {
  Tree::Parsed p = parse("a: !!str 12\nb: !custom x\nc: !!null ''\n");
  EXPECT_EQ(p.documents[0]["a"].tag(), "tag:yaml.org,2002:str");
  EXPECT_EQ(p.documents[0]["b"].tag(), "!custom");
  EXPECT_TRUE(p.documents[0]["c"].is_null());
}

TEST(YamlTree, DocumentsAreSplitAndEmptyOnesAreNull) {
  Tree::Parsed p = parse("a: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(p.errors.empty());
  ASSERT_EQ(p.documents.size(), 3u);
  EXPECT_TRUE(p.documents[1].is_null() || !p.documents[1]);
  EXPECT_EQ(p.documents[2]["b"].scalar(), "2");
  EXPECT_EQ(p.documents[2].mark().line, 3);
}

TEST(YamlTree, AliasesShareTheAnchoredNode) {
  Tree::Parsed p = parse("base: &b {x: 1}\nuse: *b\n");
  ASSERT_TRUE(p.errors.empty());
  EXPECT_EQ(p.documents[0]["use"]["x"].scalar(), "1");
}

// Nested aliases (the "billion laughs") would expand without bound in every
// reader that walks the tree: refused while parsing.
TEST(YamlTree, AliasesExpandingWithoutBoundAreRefused) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'i'; ++name, ++previous) {
    text += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", *" : "*") + previous;
    text += "]\n";
  }
  Tree::Parsed p = parse(text);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("aliases expand to more than"), std::string::npos) << p.errors[0].message;
}

TEST(YamlTree, AnAliasToTheCollectionItIsInsideIsRefused) {
  Tree::Parsed p = parse("a: &a [1, *a]\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("refers to no anchor"), std::string::npos);
}

TEST(YamlTree, NestingDeeperThanTheLimitIsRefused) {
  Tree::Parsed deep = parse(std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']'));
  ASSERT_EQ(deep.errors.size(), 1u);
  EXPECT_NE(deep.errors[0].message.find("nesting deeper than"), std::string::npos);
  EXPECT_TRUE(parse(std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']')).errors.empty());
}

// yaml-cpp 0.7.0 looped for ever, allocating, on these (found by fuzzing).
TEST(YamlTree, ALeadingCommaIsASyntaxError) {
  for (const char* text : {",", "!tag ,", "&a ,", "- ,\n", "a: ,"}) {
    Tree::Parsed p = parse(text);
    EXPECT_EQ(p.errors.size(), 1u) << text;
  }
}

TEST(YamlTree, ErrorsArePlacedAndKeepTheDocumentsBefore) {
  Tree::Parsed p = parse("a: 1\n---\nb: [1\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.documents.size(), 1u);
  // Left open at the end of the text: pointed at where it opens.
  EXPECT_EQ(p.errors[0].mark.line, 2);
  EXPECT_EQ(p.errors[0].mark.column, 3);
  EXPECT_NE(p.errors[0].message.find("starts at line 3, column 4"), std::string::npos) << p.errors[0].message;
}

TEST(YamlTree, BytesThatAreNotUtf8AreRefusedWhereTheyAre) {
  Tree::Parsed p = parse("a: 1\nb: \"x\x8f\"\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].mark.line, 1);
  EXPECT_EQ(p.errors[0].mark.column, 5);
  EXPECT_NE(p.errors[0].message.find("0x8F"), std::string::npos) << p.errors[0].message;
}

}  // namespace
}  // namespace releasegate::yaml
