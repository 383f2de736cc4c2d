/* SPDX-License-Identifier: MIT */
/*
 * The IDL grammar. Types are parsed generically as NAME or NAME<args> and
 * resolved by sema, so new types (structs, enums, arrays) need no new
 * syntax here. Error recovery: a bad method skips to its ';', a bad
 * interface to its '}'.
 */
%define api.pure full
%define api.prefix {idl_yy}
%define api.location.type {struct idl_loc}
%define parse.error verbose
%locations
%param {void *scanner}
%parse-param {struct idl_parse_ctx *ctx}

%code requires {
#include <stdint.h>

#include "ast.h"

struct idl_parse_ctx;

struct idl_targ_list {
	struct idl_type_arg *head, *tail;
};

struct idl_param_list {
	struct idl_param *head, *tail;
	uint32_t n;
};

struct idl_method_list {
	struct idl_method *head, *tail;
	uint32_t n;
};

#define IDL_RHSLOC(rhs, k) ((rhs)[k])

/* Like bison's default, and the doc comment of a rule is the one before
 * its first token. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                            \
	do {                                                                   \
		if (n) {                                                       \
			(cur).first_line = IDL_RHSLOC(rhs, 1).first_line;    \
			(cur).first_column = IDL_RHSLOC(rhs, 1).first_column; \
			(cur).last_line = IDL_RHSLOC(rhs, n).last_line;      \
			(cur).last_column = IDL_RHSLOC(rhs, n).last_column;  \
			(cur).doc = IDL_RHSLOC(rhs, 1).doc;                  \
		} else {                                                       \
			(cur).first_line = (cur).last_line =                   \
				IDL_RHSLOC(rhs, 0).last_line;                \
			(cur).first_column = (cur).last_column =               \
				IDL_RHSLOC(rhs, 0).last_column;              \
			(cur).doc = NULL;                                      \
		}                                                              \
	} while (0)
}

%code {
#include "parse.h"

typedef void *yyscan_t;
int idl_yylex(IDL_YYSTYPE *lval, IDL_YYLTYPE *lloc, yyscan_t scanner);
int idl_yylex_init_extra(struct idl_parse_ctx *extra, yyscan_t *scanner);
int idl_yylex_destroy(yyscan_t scanner);
struct yy_buffer_state *idl_yy_scan_bytes(const char *bytes, int len,
					  yyscan_t scanner);

static void idl_yyerror(IDL_YYLTYPE *loc, void *scanner,
			struct idl_parse_ctx *ctx, const char *msg);

#define NEW(ctx, type) ((type *)idl_arena_alloc(&(ctx)->file->arena, sizeof(type)))
}

%union {
	const char *str;
	uint64_t num;
	enum idl_dir dir;
	struct idl_type *type;
	struct idl_type_arg *targ;
	struct idl_targ_list targs;
	struct idl_param *param;
	struct idl_param_list params;
	struct idl_method *method;
	struct idl_method_list methods;
	struct idl_iface *iface;
}

%token INTERFACE "interface"
%token VERSION "version"
%token IN "in"
%token OUT "out"
%token RETURN "return"
%token <str> IDENT "identifier"
%token <num> NUMBER "number"

%type <iface> interface
%type <methods> methods
%type <method> method
%type <params> params param_list
%type <param> param
%type <dir> direction
%type <type> type
%type <targs> type_args
%type <targ> type_arg

%%

file
	: %empty
	| file interface
		{
			*ctx->iface_tail = $2;
			ctx->iface_tail = &$2->next;
		}
	| file error '}'
		{ yyerrok; }
	;

interface
	: INTERFACE IDENT VERSION NUMBER '{' methods methods_end
		{
			$$ = NEW(ctx, struct idl_iface);
			$$->name = $2;
			$$->loc = @2;
			$$->doc = @1.doc;
			$$->version = $4;
			$$->version_loc = @4;
			$$->methods = $6.head;
			$$->n_methods = $6.n;
		}
	;

methods
	: %empty
		{ $$.head = $$.tail = NULL; $$.n = 0; }
	| methods method
		{
			$$ = $1;
			$2->id = $$.n++;
			if ($$.tail)
				$$.tail->next = $2;
			else
				$$.head = $2;
			$$.tail = $2;
		}
	| methods error ';'
		{
			$$ = $1;
			yyerrok; /* report the next error, however close */
		}
	;

/* An error just before the closing brace must not swallow tokens up to a ';'
 * inside the next interface, whose own errors would then go unreported. */
methods_end
	: '}'
	| error '}'
		{ yyerrok; }
	;

method
	: type IDENT '(' params ')' ';'
		{
			$$ = NEW(ctx, struct idl_method);
			$$->name = $2;
			$$->loc = @2;
			$$->doc = @1.doc;
			$$->ret = *$1;
			$$->params = $4.head;
			$$->n_params = $4.n;
		}
	;

params
	: %empty
		{ $$.head = $$.tail = NULL; $$.n = 0; }
	| param_list
	;

param_list
	: param
		{ $$.head = $$.tail = $1; $$.n = 1; }
	| param_list ',' param
		{
			$$ = $1;
			$3->index = $$.n++;
			$$.tail->next = $3;
			$$.tail = $3;
		}
	;

param
	: direction type IDENT
		{
			$$ = NEW(ctx, struct idl_param);
			$$->dir = $1;
			$$->type = *$2;
			$$->name = $3;
			$$->loc = @3;
		}
	;

direction
	: %empty	{ $$ = IDL_DIR_IN; }
	| IN		{ $$ = IDL_DIR_IN; }
	| OUT		{ $$ = IDL_DIR_OUT; }
	;

type
	: IDENT
		{
			$$ = NEW(ctx, struct idl_type);
			$$->name = $1;
			$$->loc = @1;
		}
	| IDENT '<' type_args '>'
		{
			$$ = NEW(ctx, struct idl_type);
			$$->name = $1;
			$$->loc = @1;
			$$->has_args = true;
			$$->args = $3.head;
		}
	;

type_args
	: type_arg
		{ $$.head = $$.tail = $1; }
	| type_args ',' type_arg
		{
			$$ = $1;
			$$.tail->next = $3;
			$$.tail = $3;
		}
	;

type_arg
	: NUMBER
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NUMBER;
			$$->number = $1;
			$$->loc = @1;
		}
	| IDENT
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NAME;
			$$->name = $1;
			$$->loc = @1;
		}
	| RETURN
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_RETURN;
			$$->loc = @1;
		}
	;

%%

static void idl_yyerror(IDL_YYLTYPE *loc, void *scanner,
			struct idl_parse_ctx *ctx, const char *msg)
{
	(void)scanner;
	/* After an unterminated comment the parser only sees an early end. */
	if (!ctx->lexer_stopped)
		idl_error(ctx->diag, loc, "%s", msg);
}

int idl_parse(struct idl_file *file, const char *src, size_t len,
	      struct idl_diag *diag)
{
	struct idl_parse_ctx ctx = {
		.file = file,
		.diag = diag,
		.iface_tail = &file->ifaces,
		.line = 1,
		.column = 1,
	};
	unsigned int errors_before = idl_diag_errors(diag);
	yyscan_t scanner;
	int rc;

	if (len > INT32_MAX) {
		idl_error(diag, NULL, "file too large");
		return -1;
	}
	if (idl_yylex_init_extra(&ctx, &scanner) != 0) {
		idl_error(diag, NULL, "cannot initialise the scanner");
		return -1;
	}
	idl_yy_scan_bytes(src, (int)len, scanner);
	rc = idl_yyparse(scanner, &ctx);
	idl_yylex_destroy(scanner);
	if (rc == 2)
		idl_error(diag, NULL, "out of memory while parsing");
	if (rc != 0 || idl_diag_errors(diag) != errors_before)
		return -1;
	return 0;
}
