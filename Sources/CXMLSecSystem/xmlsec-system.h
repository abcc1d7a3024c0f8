/* Empty on purpose: this module only carries pkg-config's include paths and libraries for libxmlsec1 to
   the CXMLSec target, whose C file includes the headers. Swift never imports libxml2's headers: they
   pull in ICU's, which clash with Foundation's own copy. */
