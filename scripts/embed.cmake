# Turns a text file into a C header holding it as one string literal.
file(READ ${IN} content)
string(REPLACE "\\" "\\\\" content "${content}")
string(REPLACE "\"" "\\\"" content "${content}")
string(REPLACE "\n" "\\n\"\n\"" content "${content}")
get_filename_component(name ${IN} NAME_WE)
file(WRITE ${OUT} "/* generated from ${IN}; edit that file */\nstatic const char ${name}_text[] =\n\"${content}\";\n")
