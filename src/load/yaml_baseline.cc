// SPDX-License-Identifier: Apache-2.0
// The two parse entry points benchmarks compare: libyaml's bare event parse (the floor) and the
// loader's reader (events into the document tree).
#include <yaml.h>

#include <string>

#include "fluxsim/load.h"
#include "load/document.h"

namespace fluxsim {

long libyaml_parse_documents(std::string_view text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return -1;
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  long documents = 0;
  bool done = false;
  while (!done) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      documents = -1;
      break;
    }
    if (event.type == YAML_DOCUMENT_START_EVENT) ++documents;
    done = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  return documents;
}

long loader_parse_documents(std::string_view text) {
  auto parsed = load::parse_yaml(text);
  return parsed.error ? -1 : static_cast<long>(parsed.documents.size());
}

}  // namespace fluxsim
