package module_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A handler returns its error to the one responder (httpx.ErrorHandler):
// a helper that returns an error instead of answering it — a page that
// may fail to load, a policy check that may refuse — compiles just as well
// when it is called as a bare statement, and its error is then lost: the
// visitor gets an empty 200. No package of Madina calls a function or
// method of its own package that returns only an error and drops the
// result. (The check is syntactic: it knows the package's own
// declarations, which is where such helpers live.)
func TestNoDroppedErrors(t *testing.T) {
	dirs := map[string][]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dropped []string
	for _, files := range dirs {
		dropped = append(dropped, droppedIn(t, files)...)
	}
	sort.Strings(dropped)
	for _, d := range dropped {
		t.Errorf("%s: the error of this call is dropped: return it (or handle it)", d)
	}
	if len(dirs) < 20 {
		t.Fatalf("only %d packages found under internal/: the walk is wrong", len(dirs))
	}
}

// droppedIn reports the calls, in one package's files, that drop the only
// result, an error, of a function or method the package declares.
func droppedIn(t *testing.T, files []string) []string {
	t.Helper()
	fset := token.NewFileSet()
	var parsed []*ast.File
	errOnly := map[string]bool{}   // names declared returning only an error
	otherwise := map[string]bool{} // names also declared with other results
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if returnsOnlyError(fd.Type) {
				errOnly[fd.Name.Name] = true
			} else {
				otherwise[fd.Name.Name] = true
			}
		}
	}
	var out []string
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.ExprStmt)
			if !ok {
				return true
			}
			call, ok := st.X.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				// h.helper(…): a method of the package's own type, called
				// on a short receiver name; not pkg.Func of another package.
				if id, ok := fn.X.(*ast.Ident); ok && isImport(f, id.Name) {
					return true
				}
				name = fn.Sel.Name
			}
			// Close on a path that already fails is best effort, and the
			// name is everybody's (files, pools, bodies): not a helper.
			if name != "Close" && errOnly[name] && !otherwise[name] {
				out = append(out, fset.Position(call.Pos()).String())
			}
			return true
		})
	}
	return out
}

func returnsOnlyError(ft *ast.FuncType) bool {
	if ft.Results == nil || len(ft.Results.List) != 1 || len(ft.Results.List[0].Names) > 1 {
		return false
	}
	id, ok := ft.Results.List[0].Type.(*ast.Ident)
	return ok && id.Name == "error"
}

// isImport tells whether name is a package imported by f.
func isImport(f *ast.File, name string) bool {
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		if im.Name != nil {
			if im.Name.Name == name {
				return true
			}
			continue
		}
		base := p[strings.LastIndex(p, "/")+1:]
		if base == name || strings.TrimPrefix(base, "go-") == name {
			return true
		}
	}
	return false
}
